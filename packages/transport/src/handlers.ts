import type { Duplex } from 'node:stream';
import { TransportError } from './errors.js';
import type { HandlerContext, MessageHandler, PeerInfo, StreamHandler } from './types.js';

/** What crosses the wire when a handler fails: a stable code and a human message, nothing else. */
export interface WireError {
  code: string;
  message: string;
}

/** Turns anything a handler throws into a `WireError`; unknown throws become `ERR_REMOTE`. */
export function toWireError(error: unknown): WireError {
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return {
      code: typeof code === 'string' && code.length > 0 ? code : 'ERR_REMOTE',
      message: typeof message === 'string' ? message : 'remote handler failed',
    };
  }
  return { code: 'ERR_REMOTE', message: String(error) };
}

export function fromWireError(error: WireError): TransportError {
  return new TransportError(error.code, error.message, { remote: true });
}

/** Per-protocol handler tables, shared by both transports so dispatch behaves identically. */
export class HandlerRegistry {
  readonly #messages = new Map<string, MessageHandler>();
  readonly #streams = new Map<string, StreamHandler>();

  handle(protocol: string, handler: MessageHandler): void {
    this.#messages.set(protocol, handler);
  }

  handleStream(protocol: string, handler: StreamHandler): void {
    this.#streams.set(protocol, handler);
  }

  unhandle(protocol: string): void {
    this.#messages.delete(protocol);
    this.#streams.delete(protocol);
  }

  hasStreamHandler(protocol: string): boolean {
    return this.#streams.has(protocol);
  }

  /** Runs the message handler; resolves with its result or rejects with a `WireError`-able error. */
  async invoke(protocol: string, message: unknown, context: HandlerContext): Promise<unknown> {
    const handler = this.#messages.get(protocol);
    if (handler === undefined) {
      throw new TransportError('ERR_NO_HANDLER', `no handler for protocol "${protocol}"`);
    }
    return await handler(message, context);
  }

  /** Hands a stream to its handler; a handler that throws destroys the stream with the error. */
  invokeStream(protocol: string, stream: Duplex, header: unknown, context: HandlerContext): void {
    const handler = this.#streams.get(protocol);
    if (handler === undefined) {
      stream.destroy(new TransportError('ERR_NO_HANDLER', `no stream handler for "${protocol}"`));
      return;
    }
    Promise.resolve()
      .then(() => handler(stream, header, context))
      .catch((error: unknown) => {
        stream.destroy(error instanceof Error ? error : new Error(String(error)));
      });
  }
}

/**
 * The context a handler receives. Its AbortSignal is created only if the handler asks for it:
 * most handlers never do, and an AbortController per message is a measurable share of the
 * simulator's time. Aborting before anyone asked is remembered and applied on first access.
 */
export class CallContext implements HandlerContext {
  readonly peer: PeerInfo;
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  constructor(peer: PeerInfo) {
    this.peer = peer;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

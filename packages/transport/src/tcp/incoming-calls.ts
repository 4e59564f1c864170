/**
 * Calls the peer makes to us on one connection: requests waiting for their handler's answer, by
 * call id, and one-way messages whose handler is still running. Both share the per-connection
 * request limit, so a peer cannot pile up unfinished handlers.
 */
import { TransportError } from '../errors.js';
import { CallContext, toWireError, type HandlerRegistry } from '../handlers.js';
import type { PeerInfo } from '../types.js';
import type { ConnectionLimits } from './connection-host.js';
import type { SessionMessage } from './messages.js';

/** What the table needs from its connection. */
export interface IncomingCallLink {
  readonly handlers: HandlerRegistry;
  readonly limits: ConnectionLimits;
  /** The authenticated peer: calls only arrive once the handshake is done. */
  peer(): PeerInfo;
  /** Whether the connection can still carry an answer. */
  isReady(): boolean;
  /** Encodes an answer; throws when it cannot travel (too large, not encodable). */
  encodeControl(message: SessionMessage): Buffer;
  writeFrame(frame: Buffer): void;
  sendControl(message: SessionMessage): void;
  /** A call left the table (the connection may be waiting to drain). */
  callSettled(): void;
}

export class IncomingCalls {
  readonly #link: IncomingCallLink;
  readonly #incoming = new Map<number, CallContext>();
  #runningOneWay = 0;

  constructor(link: IncomingCallLink) {
    this.#link = link;
  }

  /** Requests still waiting for their answer (one-way messages promise nothing, so do not count). */
  get size(): number {
    return this.#incoming.size;
  }

  /**
   * One-way messages share the request limit: past it they are dropped (they promise no delivery),
   * so a flood of them cannot pile up unfinished handlers.
   */
  onOneWay(protocol: string, body: unknown): void {
    if (this.#runningOneWay >= this.#link.limits.maxConcurrentRequestsPerConnection) return;
    this.#runningOneWay++;
    const done = (): void => {
      this.#runningOneWay--;
    };
    this.#link.handlers.invoke(protocol, body, new CallContext(this.#link.peer())).then(done, done);
  }

  onRequest(id: number, protocol: string, body: unknown): void {
    if (this.#incoming.has(id))
      throw new TransportError('ERR_MALFORMED_FRAME', `duplicate call id ${id}`);
    if (this.#incoming.size >= this.#link.limits.maxConcurrentRequestsPerConnection) {
      this.#link.sendControl({
        t: 'err',
        id,
        code: 'ERR_TOO_MANY_REQUESTS',
        m: 'too many concurrent requests',
      });
      return;
    }
    const context = new CallContext(this.#link.peer());
    this.#incoming.set(id, context);
    this.#link.handlers.invoke(protocol, body, context).then(
      (answer) => this.#reply(id, answer),
      (error: unknown) => this.#replyError(id, error),
    );
  }

  /** The caller gave up on call `id`: its handler sees the abort. */
  onCancel(id: number): void {
    this.#incoming.get(id)?.abort(new TransportError('ERR_ABORTED', 'the caller cancelled'));
  }

  /** The connection is gone: every running handler sees the abort. */
  abortAll(reason: TransportError): void {
    for (const context of this.#incoming.values()) context.abort(reason);
    this.#incoming.clear();
  }

  #reply(id: number, answer: unknown): void {
    if (!this.#incoming.delete(id) || !this.#link.isReady()) return;
    let frame: Buffer;
    try {
      frame = this.#link.encodeControl({ t: 'res', id, b: answer });
    } catch (error) {
      this.#incoming.set(id, new CallContext(this.#link.peer()));
      this.#replyError(id, error);
      return;
    }
    this.#link.writeFrame(frame);
    this.#link.callSettled();
  }

  #replyError(id: number, error: unknown): void {
    if (!this.#incoming.delete(id) || !this.#link.isReady()) return;
    const wire = toWireError(error);
    this.#link.sendControl({
      t: 'err',
      id,
      code: wire.code.slice(0, 128),
      m: wire.message.slice(0, 4096),
    });
    this.#link.callSettled();
  }
}

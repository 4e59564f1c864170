/**
 * Handlers a memory transport is still running for calls from other nodes, by caller address and
 * call id: the caller's cancel, or a dropped connection, aborts them through their context.
 */
import { TransportError } from '../errors.js';
import { CallContext } from '../handlers.js';
import type { PeerInfo } from '../types.js';

export class RunningHandlers {
  /** Contexts of handlers still running for one remote peer, by call id. */
  readonly #byAddress = new Map<string, Map<number, CallContext>>();

  /** The addresses with handlers tracked for them (possibly none running any more). */
  addresses(): IterableIterator<string> {
    return this.#byAddress.keys();
  }

  track(from: PeerInfo, callId: number): CallContext {
    const context = new CallContext(from);
    let running = this.#byAddress.get(from.address);
    if (running === undefined) {
      running = new Map();
      this.#byAddress.set(from.address, running);
    }
    running.set(callId, context);
    return context;
  }

  /** Per-peer maps stay allocated (bounded by the peer count) to spare churn on every call. */
  untrack(address: string, callId: number): void {
    this.#byAddress.get(address)?.delete(callId);
  }

  /** The caller gave up on call `callId`: its handler sees the abort. */
  cancel(fromAddress: string, callId: number): void {
    this.#byAddress
      .get(fromAddress)
      ?.get(callId)
      ?.abort(new TransportError('ERR_ABORTED', 'the caller cancelled'));
  }

  /** The connection to `address` is gone: each of its handlers sees `failure()`. */
  abortAll(address: string, failure: () => TransportError): void {
    const running = this.#byAddress.get(address);
    if (running !== undefined) {
      for (const context of running.values()) context.abort(failure());
      this.#byAddress.delete(address);
    }
  }
}

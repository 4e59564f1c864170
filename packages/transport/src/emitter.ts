import { EventEmitter } from 'node:events';
import type { TransportEvents } from './types.js';

/**
 * The typed `on`/`off` half of `Transport`, shared by both implementations. Emitting never throws
 * into the transport: a listener's exception would otherwise tear down a connection it never owned.
 */
export class TransportEventEmitter {
  readonly #events = new EventEmitter();

  constructor() {
    this.#events.setMaxListeners(0);
  }

  on<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this {
    this.#events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof TransportEvents>(
    event: E,
    listener: (...args: TransportEvents[E]) => void,
  ): this {
    this.#events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  protected emitEvent<E extends keyof TransportEvents>(
    event: E,
    ...args: TransportEvents[E]
  ): void {
    try {
      this.#events.emit(event, ...args);
    } catch {
      // A throwing listener is the listener's bug; the transport keeps running.
    }
  }
}

/**
 * A small typed event emitter, so `membership.on('dead', (member) => …)` is checked by the compiler.
 * A listener that throws is reported through `onListenerError` and does not stop the others or the
 * protocol.
 */
import type { Member } from './members.js';

export type Listener<A extends unknown[]> = (...args: A) => void;

export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never[]>>>();
  readonly #onListenerError: (error: unknown) => void;

  constructor(onListenerError: (error: unknown) => void) {
    this.#onListenerError = onListenerError;
  }

  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    set.add(listener as unknown as Listener<never[]>);
    return this;
  }

  off<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    this.#listeners.get(event)?.delete(listener as unknown as Listener<never[]>);
    return this;
  }

  once<E extends keyof Events>(event: E, listener: Listener<Events[E]>): this {
    const wrapper: Listener<Events[E]> = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** True when someone listens; lets callers skip building event payloads nobody reads. */
  hasListeners(event: keyof Events): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  protected emit<E extends keyof Events>(event: E, ...args: Events[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        (listener as unknown as Listener<Events[E]>)(...args);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}

/** A pino-compatible logger subset. */
export interface MembershipLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface MembershipEvents {
  /** A member became known, or came back alive after being dead, left or reaped. */
  join: [member: Member];
  /** A suspected member refuted the suspicion. */
  alive: [member: Member];
  suspect: [member: Member];
  dead: [member: Member];
  /** A member left gracefully. */
  leave: [member: Member];
  /** Any change of a member's state, incarnation or address (fires with each of the above). */
  update: [member: Member, previous: Member | undefined];
}

/**
 * One life of a simulated node process, from open to crash. Everything the engine is given — its
 * clock, transport, disk and store — is a view bound to one incarnation. A crash kills it: every
 * timer is cancelled, and every later call through a view of it neither acts nor settles. That is
 * what a dead process does, and it keeps the dropped engine (which is never stopped gracefully, and
 * still has promise chains in flight) from touching the state its successor opens.
 */
import type { Clock, Timer, VirtualClock } from '@dfs/transport';

/** A promise that never settles: what a call into a dead process returns. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

export class Incarnation implements Clock {
  readonly #base: VirtualClock;
  /** This node's wall-clock error in ms (clock skew); timers still run at the true rate. */
  readonly offsetMs: number;
  readonly #timers = new Set<Timer>();
  #alive = true;

  constructor(base: VirtualClock, offsetMs: number) {
    this.#base = base;
    this.offsetMs = offsetMs;
  }

  get alive(): boolean {
    return this.#alive;
  }

  now(): number {
    return this.#base.now() + this.offsetMs;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    if (!this.#alive) return { cancel() {} };
    const timer = this.#base.setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#alive) callback();
    }, ms);
    this.#timers.add(timer);
    return {
      cancel: () => {
        timer.cancel();
        this.#timers.delete(timer);
      },
    };
  }

  setInterval(callback: () => void, ms: number): Timer {
    if (!this.#alive) return { cancel() {} };
    const timer = this.#base.setInterval(() => {
      if (this.#alive) callback();
    }, ms);
    this.#timers.add(timer);
    return {
      cancel: () => {
        timer.cancel();
        this.#timers.delete(timer);
      },
    };
  }

  /** Resolves after `ms` of virtual time while alive; never settles once the process died. */
  after(ms: number): Promise<void> {
    if (!this.#alive) return never();
    return new Promise<void>((resolve) => this.setTimeout(resolve, ms));
  }

  /** The process dies: no timer fires again and nothing bound to this life settles. */
  kill(): void {
    this.#alive = false;
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
  }
}

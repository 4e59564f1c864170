import { MinHeap } from './min-heap.js';

/**
 * Time as a seam. Every timer in transport, gossip, discovery and the node goes through a `Clock`
 * given at construction, so tests and the simulator can run thousands of nodes in virtual time and a
 * failure is reproducible from its seed. Production passes `systemClock`.
 */

/** A scheduled callback; `cancel()` is idempotent and safe after the timer fired. */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (virtual clocks may start anywhere). */
  now(): number;
  /** Run `callback` once after `ms` milliseconds. */
  setTimeout(callback: () => void, ms: number): Timer;
  /** Run `callback` every `ms` milliseconds until cancelled. */
  setInterval(callback: () => void, ms: number): Timer;
}

/**
 * The longest delay a timer can hold: Node (like browsers) stores it in a signed 32-bit integer and
 * turns anything longer into 1 ms, so a "30 days" deadline would fire at once. About 24.8 days.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The delay a `Clock` actually waits for `ms`: longer ones are clamped to `MAX_TIMER_MS` (never
 * wrapped round to fire at once); negative ones and NaN mean "as soon as possible" (0).
 */
export function timerDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/**
 * The real clock. Timers are unref'd so a forgotten one never keeps a process alive; delays go
 * through `timerDelay`, so a huge one waits about 24.8 days instead of firing at once.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, timerDelay(ms));
    handle.unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
  setInterval(callback, ms) {
    const handle = setInterval(callback, timerDelay(ms));
    handle.unref?.();
    return { cancel: () => clearInterval(handle) };
  },
};

/**
 * Resolves after `ms` on `clock`, or rejects with the signal's reason when aborted. Use it for
 * backoff and deadlines, never to wait for another task: wait for that task's promise or event.
 */
export function delay(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal?.reason);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface ScheduledTimer {
  readonly id: number;
  due: number;
  readonly callback: () => void;
  /** Repeat period for intervals; undefined for one-shot timers. */
  readonly period: number | undefined;
  /** Cancelled, or a one-shot that already fired: it no longer counts and never fires again. */
  done: boolean;
}

/** Lets pending promise callbacks and I/O callbacks run; real time does not advance meaningfully. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A clock that only moves when told to. Timers fire in due order (ties in scheduling order), and
 * between two timers the event loop is given a turn so that promise chains started by one timer
 * settle before the next fires — the same ordering a real clock would give with instant I/O.
 */
export class VirtualClock implements Clock {
  #now: number;
  #nextId = 0;
  /**
   * Min-heap by (due, id). Cancelled timers stay in the heap until they reach the top (lazy
   * deletion), so scheduling and cancelling are O(log n) even with 100,000 request deadlines pending.
   */
  readonly #heap = new MinHeap<ScheduledTimer>(firesBefore);
  #live = 0;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    return this.#schedule(callback, ms, undefined);
  }

  /** Delays are clamped like `systemClock`'s (`timerDelay`), so virtual runs time what real ones would. */
  setInterval(callback: () => void, ms: number): Timer {
    return this.#schedule(callback, ms, Math.max(1, timerDelay(ms)));
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#live;
  }

  /** Advance virtual time by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await yieldToEventLoop();
    for (;;) {
      const next = this.#nextDue();
      if (next === undefined || next.due > target) break;
      this.#fire(next);
      await yieldToEventLoop();
    }
    this.#now = target;
    await yieldToEventLoop();
  }

  /**
   * Advance in steps of `stepMs` until `condition()` holds, failing after `timeoutMs` of virtual
   * time. This is how tests wait for a cluster to converge without real sleeps.
   */
  async runUntil(
    condition: () => boolean,
    options: { timeoutMs: number; stepMs?: number },
  ): Promise<void> {
    const step = options.stepMs ?? 10;
    const deadline = this.#now + options.timeoutMs;
    await yieldToEventLoop();
    while (!condition()) {
      if (this.#now >= deadline) {
        throw new Error(`condition not met within ${options.timeoutMs} ms of virtual time`);
      }
      await this.advance(Math.min(step, deadline - this.#now));
    }
  }

  #schedule(callback: () => void, ms: number, period: number | undefined): Timer {
    const timer: ScheduledTimer = {
      id: this.#nextId++,
      due: this.#now + timerDelay(ms),
      callback,
      period,
      done: false,
    };
    this.#live++;
    this.#heap.push(timer);
    return {
      cancel: () => {
        if (timer.done) return;
        timer.done = true;
        this.#live--;
      },
    };
  }

  /** The earliest live timer, discarding cancelled ones that reached the top. */
  #nextDue(): ScheduledTimer | undefined {
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || !top.done) return top;
      this.#heap.pop();
    }
  }

  #fire(timer: ScheduledTimer): void {
    this.#now = Math.max(this.#now, timer.due);
    this.#heap.pop();
    if (timer.period === undefined) {
      timer.done = true;
      this.#live--;
    } else {
      timer.due += timer.period;
      this.#heap.push(timer);
    }
    timer.callback();
  }
}

function firesBefore(a: ScheduledTimer, b: ScheduledTimer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

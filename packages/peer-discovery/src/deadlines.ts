/**
 * Many one-shot deadlines on one clock timer. A node in a partitioned 1,000-member cluster holds
 * hundreds of suspicions at once; giving each its own clock timer would hand the clock hundreds of
 * thousands of timers across a simulation. Here they wait in a min-heap by (due, order) with one
 * clock timer armed for the earliest, so each costs O(log n) and the clock sees one timer per node.
 *
 * It implements `Clock`, so code written against a clock (Suspicion) uses it unchanged.
 */
import { MinHeap, type Clock, type Timer } from '@dfs/transport';

interface Deadline {
  readonly due: number;
  readonly order: number;
  readonly run: () => void;
  cancelled: boolean;
}

export class DeadlineScheduler implements Clock {
  readonly #clock: Clock;
  readonly #heap = new MinHeap<Deadline>(before);
  #order = 0;
  #armed: Timer | undefined;
  #armedDue = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  now(): number {
    return this.#clock.now();
  }

  /** Deadlines still waiting (cancelled ones may linger until they reach the top). */
  get size(): number {
    return this.#heap.size;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const deadline: Deadline = {
      due: this.#clock.now() + Math.max(0, ms),
      order: this.#order++,
      run: callback,
      cancelled: false,
    };
    if (this.#closed) return { cancel() {} };
    this.#heap.push(deadline);
    if (deadline.due < this.#armedDue) this.#arm(deadline.due);
    return {
      cancel: () => {
        deadline.cancelled = true;
      },
    };
  }

  /** Intervals are rare here; they go straight to the underlying clock. */
  setInterval(callback: () => void, ms: number): Timer {
    return this.#clock.setInterval(callback, ms);
  }

  /** Cancels everything and the armed timer; later setTimeout calls are ignored. */
  close(): void {
    this.#closed = true;
    this.#heap.clear();
    this.#armed?.cancel();
    this.#armed = undefined;
    this.#armedDue = Number.POSITIVE_INFINITY;
  }

  #arm(due: number): void {
    this.#armed?.cancel();
    this.#armedDue = due;
    this.#armed = this.#clock.setTimeout(() => this.#fire(), Math.max(0, due - this.#clock.now()));
  }

  #fire(): void {
    this.#armed = undefined;
    this.#armedDue = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    for (;;) {
      const top = this.#heap.peek();
      if (top === undefined || top.due > now) break;
      this.#heap.pop();
      if (!top.cancelled) top.run();
    }
    // Drop cancelled deadlines at the top so a cancelled earliest does not keep a timer armed.
    while (this.#heap.peek()?.cancelled) this.#heap.pop();
    const next = this.#heap.peek();
    if (next !== undefined && !this.#closed) this.#arm(Math.max(next.due, now));
  }
}

function before(a: Deadline, b: Deadline): boolean {
  return a.due < b.due || (a.due === b.due && a.order < b.order);
}

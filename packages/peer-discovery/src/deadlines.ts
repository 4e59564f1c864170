/**
 * Many one-shot deadlines on one clock timer. A node in a partitioned 1,000-member cluster holds
 * hundreds of suspicions at once; giving each its own clock timer would hand the clock hundreds of
 * thousands of timers across a simulation. Here they wait in a min-heap by (due, order) with one
 * clock timer armed for the earliest, so each costs O(log n) and the clock sees one timer per node.
 *
 * It implements `Clock`, so code written against a clock (Suspicion) uses it unchanged.
 */
import type { Clock, Timer } from '@dfs/transport';

interface Deadline {
  readonly due: number;
  readonly order: number;
  readonly run: () => void;
  cancelled: boolean;
}

export class DeadlineScheduler implements Clock {
  readonly #clock: Clock;
  readonly #heap: Deadline[] = [];
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
    return this.#heap.length;
  }

  setTimeout(callback: () => void, ms: number): Timer {
    const deadline: Deadline = {
      due: this.#clock.now() + Math.max(0, ms),
      order: this.#order++,
      run: callback,
      cancelled: false,
    };
    if (this.#closed) return { cancel() {} };
    this.#push(deadline);
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
    this.#heap.length = 0;
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
      const top = this.#heap[0];
      if (top === undefined || top.due > now) break;
      this.#pop();
      if (!top.cancelled) top.run();
    }
    // Drop cancelled deadlines at the top so a cancelled earliest does not keep a timer armed.
    while (this.#heap[0]?.cancelled) this.#pop();
    const next = this.#heap[0];
    if (next !== undefined && !this.#closed) this.#arm(Math.max(next.due, now));
  }

  #push(item: Deadline): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Deadline;
      if (!before(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Deadline;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right] as Deadline, heap[left] as Deadline)) child = right;
      if (!before(heap[child] as Deadline, last)) break;
      heap[i] = heap[child] as Deadline;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Deadline, b: Deadline): boolean {
  return a.due < b.due || (a.due === b.due && a.order < b.order);
}

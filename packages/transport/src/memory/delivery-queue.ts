import type { Clock, Timer } from '../clock.js';

interface Delivery {
  due: number;
  /** Insertion order: deliveries due at the same instant run in the order they were sent. */
  seq: number;
  run: () => void;
}

/**
 * Every in-flight message of a `MemoryNetwork` waits here, in a binary min-heap by (due, seq), with
 * at most ONE clock timer armed for the earliest. A simulation with hundreds of thousands of
 * messages in flight therefore costs O(log n) per message and never floods the clock with timers.
 */
export class DeliveryQueue {
  readonly #clock: Clock;
  readonly #heap: Delivery[] = [];
  #seq = 0;
  #armedDue = Number.POSITIVE_INFINITY;
  #armedTimer: Timer | undefined;
  #flushing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `run` once the clock reaches `due` (immediately-due items wait for the next flush). */
  schedule(due: number, run: () => void): void {
    this.#push({ due, seq: this.#seq++, run });
    if (!this.#flushing && due < this.#armedDue) this.#arm(due);
  }

  /** Drops everything pending and disarms the timer. */
  clear(): void {
    this.#heap.length = 0;
    this.#armedTimer?.cancel();
    this.#armedTimer = undefined;
    this.#armedDue = Number.POSITIVE_INFINITY;
  }

  #arm(due: number): void {
    this.#armedTimer?.cancel();
    this.#armedDue = due;
    this.#armedTimer = this.#clock.setTimeout(
      () => this.#flush(),
      Math.max(0, due - this.#clock.now()),
    );
  }

  #flush(): void {
    this.#armedTimer = undefined;
    this.#armedDue = Number.POSITIVE_INFINITY;
    this.#flushing = true;
    try {
      const now = this.#clock.now();
      for (;;) {
        const top = this.#heap[0];
        if (top === undefined || top.due > now) break;
        this.#pop();
        try {
          top.run();
        } catch {
          // A delivery callback failing must not stop the rest of the network.
        }
      }
    } finally {
      this.#flushing = false;
    }
    const next = this.#heap[0];
    // A real clock may fire a hair early; never re-arm with a zero delay for a future item.
    if (next !== undefined) this.#arm(Math.max(next.due, this.#clock.now()));
  }

  #push(item: Delivery): void {
    const heap = this.#heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as Delivery;
      if (!before(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop() as Delivery;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && before(heap[right] as Delivery, heap[left] as Delivery)) child = right;
      if (!before(heap[child] as Delivery, last)) break;
      heap[i] = heap[child] as Delivery;
      i = child;
    }
    heap[i] = last;
  }
}

function before(a: Delivery, b: Delivery): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

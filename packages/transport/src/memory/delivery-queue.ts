import type { Clock, Timer } from '../clock.js';
import { MinHeap } from '../min-heap.js';

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
  readonly #heap = new MinHeap<Delivery>(before);
  #seq = 0;
  #armedDue = Number.POSITIVE_INFINITY;
  #armedTimer: Timer | undefined;
  #flushing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get size(): number {
    return this.#heap.size;
  }

  /** Runs `run` once the clock reaches `due` (immediately-due items wait for the next flush). */
  schedule(due: number, run: () => void): void {
    this.#heap.push({ due, seq: this.#seq++, run });
    if (!this.#flushing && due < this.#armedDue) this.#arm(due);
  }

  /** Drops everything pending and disarms the timer. */
  clear(): void {
    this.#heap.clear();
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
        const top = this.#heap.peek();
        if (top === undefined || top.due > now) break;
        this.#heap.pop();
        try {
          top.run();
        } catch {
          // A delivery callback failing must not stop the rest of the network.
        }
      }
    } finally {
      this.#flushing = false;
    }
    const next = this.#heap.peek();
    // A real clock may fire a hair early; never re-arm with a zero delay for a future item.
    if (next !== undefined) this.#arm(Math.max(next.due, this.#clock.now()));
  }
}

function before(a: Delivery, b: Delivery): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

import type { Clock, Timer } from './clock.js';

/** What `RateLimitedLog` writes to: anything with a pino-style `warn(object, message)`. */
export interface WarnSink {
  warn(object: object, message?: string): void;
}

export interface RateLimitedLogOptions {
  /** One line per reason per this many ms. Default 10000. */
  intervalMs?: number;
  /**
   * Distinct reasons tracked at once. Reasons can come from the network (a peer's reject code), so
   * past this many they share one bucket, `"other"`. Default 64.
   */
  maxReasons?: number;
}

interface Bucket {
  /** Occurrences since the line that opened this window, not logged. */
  suppressed: number;
  /** Fields and message of the latest suppressed occurrence, for the summary line. */
  lastFields: object;
  lastMessage: string;
  /** Ends the window: logs the summary if anything was suppressed, then forgets the bucket. */
  flush: Timer;
}

/**
 * Warnings a flood can trigger (a refused connection, a reset stream) go through this: the first
 * occurrence of a reason is logged at once; the rest within `intervalMs` are only counted, and one
 * summary line with `suppressed: n` closes the window. So a reason costs at most two lines per
 * interval whatever the rate (a half-open flood once wrote 18 MB of warnings in 25 s). Counters and
 * events are not rate-limited, only log lines.
 */
export class RateLimitedLog {
  readonly #sink: WarnSink;
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #maxReasons: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(sink: WarnSink, clock: Clock, options: RateLimitedLogOptions = {}) {
    this.#sink = sink;
    this.#clock = clock;
    this.#intervalMs = options.intervalMs ?? 10_000;
    this.#maxReasons = options.maxReasons ?? 64;
  }

  warn(reason: string, fields: object, message: string): void {
    const key =
      this.#buckets.has(reason) || this.#buckets.size < this.#maxReasons ? reason : 'other';
    const bucket = this.#buckets.get(key);
    if (bucket !== undefined) {
      bucket.suppressed++;
      bucket.lastFields = fields;
      bucket.lastMessage = message;
      return;
    }
    this.#sink.warn(fields, message);
    this.#buckets.set(key, {
      suppressed: 0,
      lastFields: fields,
      lastMessage: message,
      flush: this.#clock.setTimeout(() => this.#flush(key), this.#intervalMs),
    });
  }

  /** Writes the pending summaries now and cancels every timer (the owner is closing). */
  close(): void {
    for (const key of [...this.#buckets.keys()]) this.#flush(key);
  }

  #flush(key: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return;
    this.#buckets.delete(key);
    bucket.flush.cancel();
    if (bucket.suppressed === 0) return;
    this.#sink.warn(
      { ...bucket.lastFields, suppressed: bucket.suppressed },
      `${bucket.lastMessage} (${bucket.suppressed} more like this suppressed in ${this.#intervalMs} ms)`,
    );
  }
}

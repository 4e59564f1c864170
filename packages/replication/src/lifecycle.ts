/**
 * The engine's lifecycle — created, running, stopped — and the background work `stop()` waits for
 * (announcement flushes, index drops of expired tombstones, scrub steps, repairs). Every module that
 * starts work on its own asks here whether the node is running and hands its promise here, so one
 * `stop()` finds everything still under way.
 */

/** The subset of a pino logger the engine uses. */
export interface ReplicationLogger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export const silentLogger: ReplicationLogger = { debug() {}, info() {}, warn() {} };

export class Lifecycle {
  #state: 'created' | 'running' | 'stopped' = 'created';
  readonly #background = new Set<Promise<unknown>>();
  readonly #log: ReplicationLogger;

  constructor(log: ReplicationLogger) {
    this.#log = log;
  }

  get running(): boolean {
    return this.#state === 'running';
  }

  get stopped(): boolean {
    return this.#state === 'stopped';
  }

  start(): void {
    if (this.#state !== 'created') throw new Error('replication engine already started');
    this.#state = 'running';
  }

  /** Marks the engine stopped; false when it already was (stop is idempotent). */
  stop(): boolean {
    if (this.#state === 'stopped') return false;
    this.#state = 'stopped';
    return true;
  }

  /** Keeps `work` until it settles so `backgroundSettled()` can wait for it; failures are logged. */
  inBackground(work: Promise<unknown>): void {
    const kept = work.catch((error: unknown) => {
      this.#log.warn({ err: error }, 'background replication task failed');
    });
    this.#background.add(kept);
    void kept.finally(() => this.#background.delete(kept));
  }

  /** Resolves once every background task started so far has settled. */
  async backgroundSettled(): Promise<void> {
    await Promise.allSettled([...this.#background]);
  }
}

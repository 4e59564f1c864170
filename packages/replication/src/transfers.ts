/**
 * Bounded, cancellable body transfers. At most `concurrency` run at once; the rest wait in FIFO
 * order. A transfer is identified by a key (name + version): asking for one already queued or running
 * joins it instead of starting another, which is why duplicate announcements cost no bandwidth.
 * `stop()` aborts every running transfer through its AbortSignal and rejects the queued ones.
 *
 * A joined transfer cannot be stuck for good: every task bounds its own waits (a pull gives up on a
 * holder that misses `pullOpenTimeoutMs` or falls silent for `pullIdleTimeoutMs`, a push that
 * stalls for `pushIdleTimeoutMs`), and the key is released before its promise settles, so the next
 * attempt starts fresh.
 */
import { ReplicationError } from './errors.js';

interface Job {
  readonly key: string;
  readonly controller: AbortController;
  readonly task: (signal: AbortSignal) => Promise<boolean>;
  readonly promise: Promise<boolean>;
  resolve(ok: boolean): void;
  reject(error: unknown): void;
}

export class TransferQueue {
  readonly #concurrency: number;
  readonly #jobs = new Map<string, Job>();
  readonly #waiting: Job[] = [];
  #running = 0;
  #stopped = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: { concurrency: number }) {
    this.#concurrency = options.concurrency;
  }

  get active(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** The transfer for `key` if one is queued or running. */
  get(key: string): Promise<boolean> | undefined {
    return this.#jobs.get(key)?.promise;
  }

  /**
   * Runs `task` (resolving true on success) unless a transfer for `key` already exists, in which
   * case that one's promise is returned. `priority` jumps the queue (a reader is waiting).
   */
  run(
    key: string,
    task: (signal: AbortSignal) => Promise<boolean>,
    options?: { priority?: boolean; immediate?: boolean },
  ): Promise<boolean> {
    const existing = this.#jobs.get(key);
    if (existing !== undefined) {
      // A reader joining a queued background transfer should not wait behind the whole queue.
      const at = options?.priority === true ? this.#waiting.indexOf(existing) : -1;
      if (at > 0) this.#waiting.unshift(...this.#waiting.splice(at, 1));
      return existing.promise;
    }
    if (this.#stopped) {
      return Promise.reject(new ReplicationError('ERR_UNAVAILABLE', 'transfers are stopped'));
    }
    let resolve!: (ok: boolean) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<boolean>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = { key, controller: new AbortController(), task, promise, resolve, reject };
    this.#jobs.set(key, job);
    if (options?.immediate === true) {
      // The bytes are already arriving (a push): it cannot wait for a slot, so it runs over the
      // limit. Pushes are bounded by the senders' fanout.
      this.#start(job);
      return promise;
    }
    if (options?.priority === true) this.#waiting.unshift(job);
    else this.#waiting.push(job);
    this.#pump();
    return promise;
  }

  /**
   * Starts the queued transfer for `key` now, over the limit: a reader is waiting for its bytes and
   * must not wait behind the whole queue. Readers are bounded by the HTTP server's connections.
   * Does nothing when it is already running or unknown.
   */
  promote(key: string): void {
    const job = this.#jobs.get(key);
    const at = job === undefined ? -1 : this.#waiting.indexOf(job);
    if (at < 0) return;
    this.#waiting.splice(at, 1);
    this.#start(job as Job);
  }

  /** Aborts the transfer for `key` (e.g. its version was superseded). */
  cancel(key: string): void {
    const job = this.#jobs.get(key);
    if (job === undefined) return;
    const at = this.#waiting.indexOf(job);
    if (at >= 0) {
      this.#waiting.splice(at, 1);
      this.#finish(job);
      job.resolve(false);
      return;
    }
    job.controller.abort(new ReplicationError('ERR_ABORTED', 'transfer cancelled'));
  }

  /** Aborts everything and resolves once no transfer is running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const job of this.#waiting.splice(0)) {
      this.#finish(job);
      job.reject(new ReplicationError('ERR_ABORTED', 'node is stopping'));
    }
    for (const job of this.#jobs.values()) {
      job.controller.abort(new ReplicationError('ERR_ABORTED', 'node is stopping'));
    }
    if (this.#running > 0) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    }
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#waiting.length > 0) {
      this.#start(this.#waiting.shift() as Job);
    }
  }

  #start(job: Job): void {
    this.#running++;
    // The key is released before the job's promise settles, so a caller reacting to the outcome
    // (e.g. scheduling a pull after a failed push) can start a new transfer for it at once.
    job
      .task(job.controller.signal)
      .then(
        (ok) => {
          this.#finish(job);
          job.resolve(ok);
        },
        (error: unknown) => {
          this.#finish(job);
          job.reject(error);
        },
      )
      .finally(() => {
        this.#running--;
        if (this.#running === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
        this.#pump();
      });
  }

  #finish(job: Job): void {
    if (this.#jobs.get(job.key) === job) this.#jobs.delete(job.key);
  }
}

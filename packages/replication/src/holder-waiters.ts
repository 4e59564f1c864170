/**
 * Callers waiting for a version to reach N holders (`PUT ?w=N`). A waiter resolves true once the
 * probe reports enough holders for its version, false on timeout, abort, `cancelAll()`, or as soon as
 * a newer version supersedes it (that version will never gain holders again). Rechecked on every
 * change of its name and periodically (holder counts also move when peers die or come back).
 */
import type { Clock } from '@dfs/transport';
import { compareVersions } from './hlc.js';

/** What the index says about a name right now: its version and live holder count. */
export type HolderProbe = (name: string) => { version: string; holders: number } | undefined;

interface Waiter {
  readonly name: string;
  readonly version: string;
  readonly count: number;
  finish(ok: boolean): void;
}

export class HolderWaiters {
  readonly #clock: Clock;
  readonly #probe: HolderProbe;
  readonly #waiters = new Set<Waiter>();

  constructor(clock: Clock, probe: HolderProbe) {
    this.#clock = clock;
    this.#probe = probe;
  }

  get size(): number {
    return this.#waiters.size;
  }

  wait(
    name: string,
    version: string,
    count: number,
    options: { timeoutMs: number; signal?: AbortSignal },
  ): Promise<boolean> {
    const verdict = this.#verdict(name, version, count);
    if (verdict !== undefined) return Promise.resolve(verdict);
    if (options.signal?.aborted === true) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (ok: boolean): void => {
        timer.cancel();
        options.signal?.removeEventListener('abort', onAbort);
        this.#waiters.delete(waiter);
        resolve(ok);
      };
      const onAbort = (): void => finish(false);
      const waiter: Waiter = { name, version, count, finish };
      const timer = this.#clock.setTimeout(() => finish(false), options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /** Re-evaluates the waiters of `name`, or all of them. */
  check(name?: string): void {
    for (const waiter of [...this.#waiters]) {
      if (name !== undefined && waiter.name !== name) continue;
      const verdict = this.#verdict(waiter.name, waiter.version, waiter.count);
      if (verdict !== undefined) waiter.finish(verdict);
    }
  }

  /** Resolves every waiter false (shutdown). */
  cancelAll(): void {
    for (const waiter of [...this.#waiters]) waiter.finish(false);
  }

  /** true: enough holders; false: superseded; undefined: keep waiting. */
  #verdict(name: string, version: string, count: number): boolean | undefined {
    const now = this.#probe(name);
    if (now === undefined) return undefined;
    if (now.version === version) return now.holders >= count ? true : undefined;
    return compareVersions(now.version, version) > 0 ? false : undefined;
  }
}

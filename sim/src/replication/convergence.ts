/**
 * Whether N engines have converged on a set of names: every index holds the same version (and
 * tombstone flag) of every name, and — for `converged` — every node holds every live entry's bytes.
 *
 * Checked every simulated step, so it must be cheap while the answer is no: a check starts at the
 * (name, node) where the last one failed and stops at the first disagreement. Names that passed
 * are not re-checked until the scan wraps around, so the whole N × names scan runs about once per
 * change of answer rather than once per step.
 */
import type { ReplicationEngine } from '@dfs/replication';

export class ConvergenceWatch {
  readonly #engines: readonly ReplicationEngine[];
  readonly #names: readonly string[];
  /** Where the last check failed: the scan resumes here. */
  #name = 0;
  #node = 0;

  constructor(engines: readonly ReplicationEngine[], names: readonly string[]) {
    this.#engines = engines;
    this.#names = names;
  }

  /** Every index has the same version of every name. */
  indexesAgree(): boolean {
    return this.#scan(false);
  }

  /** Indexes agree and every live entry's bytes are on every node. */
  converged(): boolean {
    return this.#scan(true);
  }

  #scan(bodies: boolean): boolean {
    const names = this.#names.length;
    for (let k = 0; k < names; k++) {
      const n = (this.#name + k) % names;
      const failedAt = this.#firstDisagreement(this.#names[n]!, bodies, k === 0 ? this.#node : 0);
      if (failedAt !== undefined) {
        this.#name = n;
        this.#node = failedAt;
        return false;
      }
    }
    return true;
  }

  /** The first node (checked from `from` on, then wrapping) that disagrees about `name`. */
  #firstDisagreement(name: string, bodies: boolean, from: number): number | undefined {
    const engines = this.#engines;
    const count = engines.length;
    const reference = engines[from]!.describe(name);
    if (bodies && reference !== undefined && !reference.deleted && !reference.local) return from;
    for (let k = 1; k < count; k++) {
      const i = (from + k) % count;
      const view = engines[i]!.describe(name);
      if (view?.version !== reference?.version || view?.deleted !== reference?.deleted) return i;
      if (bodies && view !== undefined && !view.deleted && !view.local) return i;
    }
    return undefined;
  }
}

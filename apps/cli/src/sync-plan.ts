/**
 * What a sync or a tree transfer has to do, decided from two listings keyed by relative path: copy
 * what the target lacks or holds differently, leave what matches, and (with --delete) remove what
 * only the target has. Pure; the sha256 of a side is known from a cluster listing and unknown for
 * local files until hashed, so same-size pairs with an unknown hash come back as `check`.
 */

export interface SideEntry {
  size: number;
  /** Hex sha256 when known without reading the bytes. */
  sha256?: string | undefined;
}

export interface SyncPlan {
  /** Missing on the target, or different (size, or both hashes known and unequal). */
  copy: string[];
  /** Same size on both sides and a hash unknown: hash, then copy or leave. */
  check: string[];
  /** Same size and the same sha256: nothing to do. */
  unchanged: string[];
  /** Only on the target, with `delete`. */
  remove: string[];
}

const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function planSync(
  source: ReadonlyMap<string, SideEntry>,
  target: ReadonlyMap<string, SideEntry>,
  options: { delete: boolean },
): SyncPlan {
  const plan: SyncPlan = { copy: [], check: [], unchanged: [], remove: [] };
  for (const [path, entry] of source) {
    const there = target.get(path);
    if (there === undefined || there.size !== entry.size) plan.copy.push(path);
    else if (entry.sha256 === undefined || there.sha256 === undefined) plan.check.push(path);
    else if (entry.sha256 === there.sha256) plan.unchanged.push(path);
    else plan.copy.push(path);
  }
  if (options.delete) {
    for (const path of target.keys()) if (!source.has(path)) plan.remove.push(path);
  }
  for (const list of Object.values(plan)) (list as string[]).sort(byCodeUnits);
  return plan;
}

/** Moves each checked path to `copy` or `unchanged` once both hashes are known. */
export function settleChecks(
  plan: SyncPlan,
  hashes: ReadonlyMap<string, { source: string; target: string }>,
): SyncPlan {
  const copy = [...plan.copy];
  const unchanged = [...plan.unchanged];
  for (const path of plan.check) {
    const pair = hashes.get(path);
    if (pair !== undefined && pair.source === pair.target) unchanged.push(path);
    else copy.push(path);
  }
  return {
    copy: copy.sort(byCodeUnits),
    check: [],
    unchanged: unchanged.sort(byCodeUnits),
    remove: plan.remove,
  };
}

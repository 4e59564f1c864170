/**
 * The invariants checked at the end of a run, as a pure function of the recorded history and the
 * final state of every node (after every fault was healed and the cluster had time to quiesce):
 *
 * - converged: every node has the same index view (version and tombstone flag per name, for every
 *   name ever written or announced) and lists the same names;
 * - quiescent: every live entry's bytes are on every node (no pull left stuck);
 * - acknowledged-write-lost / acknowledged-delete-undone: a name's final version is at least the
 *   newest acknowledged put or delete of it, and equal to it means the same outcome (those bytes,
 *   or deleted);
 * - unacknowledged-version-won: a final version newer than every acknowledged one must come from an
 *   operation whose answer was lost in a crash; one from a failed operation or from nobody (a
 *   hostile peer) is a violation;
 * - served-wrong-bytes / listed-not-served / deleted-still-served: every node serves every listed
 *   name with the bytes of its version, and serves no deleted one;
 * - read-wrong-bytes: no read during the run ended cleanly with bytes other than the version's;
 * - put-info-wrong: an acknowledged put reports the sha256 of the body that was sent;
 * - op-hung: no operation on a node that stayed alive is still unanswered at the end.
 */
import { createHash } from 'node:crypto';
import type { OpRecord } from './history.js';

export interface EntryView {
  version: string;
  deleted: boolean;
  sha256: string;
  local: boolean;
}

export type ReadResult = { sha256: string; version: string } | { code: string };

export interface FinalState {
  nodes: readonly string[];
  /** node → name → what its index says (undefined: unknown name). */
  views: ReadonlyMap<string, ReadonlyMap<string, EntryView | undefined>>;
  /** node → names it lists, in order. */
  lists: ReadonlyMap<string, readonly string[]>;
  /** node → name → the outcome of reading it (listed names and finally deleted names). */
  reads: ReadonlyMap<string, ReadonlyMap<string, ReadResult>>;
  /** Live entries whose bytes some node still lacks after the quiescence deadline. */
  notLocal: readonly string[];
}

export interface Violation {
  invariant: string;
  name?: string;
  detail: string;
}

/** The node id part of a version (`<wall>.<counter>.<node id>`, 22-character prefix). */
export const versionOrigin = (version: string): string => version.slice(22);

export function checkInvariants(
  ops: readonly OpRecord[],
  final: FinalState,
  options: { phantomNames: ReadonlySet<string> },
): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<string>();
  const report = (invariant: string, name: string | undefined, detail: string): void => {
    const key = `${invariant}\0${name ?? ''}\0${detail}`;
    if (seen.has(key)) return;
    seen.add(key);
    violations.push(name === undefined ? { invariant, detail } : { invariant, name, detail });
  };

  const names = new Set<string>();
  for (const view of final.views.values()) for (const name of view.keys()) names.add(name);
  const putSha = new Map<string, string>();
  const putBody = new Map<string, Buffer>();
  for (const op of ops) {
    if (op.kind === 'put' && op.version !== undefined && op.sha256 !== undefined) {
      putSha.set(op.version, op.sha256);
      if (op.body !== undefined) putBody.set(op.version, op.body);
    }
  }

  // converged
  const [first, ...rest] = final.nodes;
  if (first !== undefined) {
    for (const name of names) {
      const a = final.views.get(first)?.get(name);
      for (const node of rest) {
        const b = final.views.get(node)?.get(name);
        if (a?.version !== b?.version || a?.deleted !== b?.deleted) {
          report('converged', name, `${first} has ${show(a)}, ${node} has ${show(b)}`);
        }
      }
    }
    const firstList = (final.lists.get(first) ?? []).join(',');
    for (const node of rest) {
      const list = (final.lists.get(node) ?? []).join(',');
      if (list !== firstList)
        report('converged', undefined, `${first} lists [${firstList}], ${node} lists [${list}]`);
    }
  }
  // Names a hostile member made up (its own writes, with holders that do not exist) can never be
  // pulled; they only have to converge.
  for (const name of final.notLocal) {
    if (!options.phantomNames.has(name))
      report('quiescent', name, 'bytes still missing on some node');
  }

  // per name, against the history
  for (const name of names) {
    if (options.phantomNames.has(name)) continue;
    const byName = ops.filter((op) => op.name === name && op.kind !== 'read');
    const acked = byName.filter((op) => op.outcome === 'ok' && op.version !== undefined);
    const newest = acked.reduce<OpRecord | undefined>(
      (best, op) =>
        best === undefined || (op.version as string) > (best.version as string) ? op : best,
      undefined,
    );
    for (const node of final.nodes) {
      const view = final.views.get(node)?.get(name);
      if (newest !== undefined) {
        const v = newest.version as string;
        if (view === undefined || view.version < v) {
          if (!(newest.kind === 'delete' && view === undefined)) {
            report(
              newest.kind === 'put' ? 'acknowledged-write-lost' : 'acknowledged-delete-undone',
              name,
              `op#${newest.id} ${newest.kind} ${v} acknowledged, ${node} ends with ${show(view)}`,
            );
          }
          continue;
        }
        if (view.version === v) {
          if (newest.kind === 'put' && (view.deleted || view.sha256 !== newest.sha256)) {
            report(
              'acknowledged-write-lost',
              name,
              `op#${newest.id} put ${v}: ${node} has ${show(view)}`,
            );
          }
          if (newest.kind === 'delete' && !view.deleted) {
            report(
              'acknowledged-delete-undone',
              name,
              `op#${newest.id} delete ${v}: ${node} has ${show(view)}`,
            );
          }
          continue;
        }
      }
      if (view === undefined) continue;
      if (acked.some((op) => op.version === view.version)) continue;
      // Newer than every acknowledged operation: whose is it?
      const origin = versionOrigin(view.version);
      // An answer lost in a crash, or a delete whose tombstone version could not be read back.
      const inDoubt = byName.some(
        (op) =>
          op.node === origin &&
          (op.outcome === 'unknown' || (op.outcome === 'ok' && op.version === undefined)),
      );
      if (!inDoubt) {
        const failed = byName.filter((op) => op.node === origin && op.outcome === 'failed');
        const source =
          failed.length > 0
            ? `a failed op of ${origin} (${failed.map((op) => `op#${op.id} ${op.kind} ${op.code ?? ''}`).join(', ')})`
            : `${origin}, which acknowledged no such operation`;
        const beaten =
          newest === undefined ? '' : ` over acknowledged op#${newest.id} ${newest.version}`;
        report(
          'unacknowledged-version-won',
          name,
          `${node} ends with ${show(view)} from ${source}${beaten}`,
        );
      }
    }
  }

  // served bytes
  for (const node of final.nodes) {
    const view = final.views.get(node);
    const reads = final.reads.get(node);
    for (const name of final.lists.get(node) ?? []) {
      if (options.phantomNames.has(name)) continue;
      const entry = view?.get(name);
      const read = reads?.get(name);
      if (read === undefined || 'code' in read) {
        report(
          'listed-not-served',
          name,
          `${node} lists it but reading failed: ${read === undefined ? 'not read' : read.code}`,
        );
        continue;
      }
      const expected = putSha.get(read.version) ?? entry?.sha256;
      if (read.sha256 !== entry?.sha256 || read.sha256 !== expected) {
        report(
          'served-wrong-bytes',
          name,
          `${node} served ${read.sha256.slice(0, 8)} for ${read.version}, expected ${expected?.slice(0, 8)}`,
        );
      }
    }
    for (const [name, entry] of view ?? []) {
      const read = reads?.get(name);
      if (entry?.deleted === true && read !== undefined && !('code' in read)) {
        report(
          'deleted-still-served',
          name,
          `${node} served ${read.version} after the delete ${entry.version}`,
        );
      }
    }
  }

  // operations
  for (const op of ops) {
    if (op.kind === 'read' && op.outcome === 'ok') {
      const body = op.version === undefined ? undefined : putBody.get(op.version);
      const expected =
        body === undefined
          ? undefined
          : sha256Of(
              op.range === undefined ? body : body.subarray(op.range.start, op.range.end + 1),
            );
      const whole = op.range === undefined ? op.readSha256 === op.infoSha256 : true;
      if (!whole || (expected !== undefined && op.readSha256 !== expected)) {
        report(
          'read-wrong-bytes',
          op.name,
          `op#${op.id} at ${op.node} ended cleanly with ${op.readSha256?.slice(0, 8)} for ${op.version}`,
        );
      }
    }
    if (op.kind === 'put' && op.outcome === 'ok') {
      if (op.infoSha256 !== op.sha256) {
        report(
          'put-info-wrong',
          op.name,
          `op#${op.id} sent ${op.sha256?.slice(0, 8)}, acknowledged ${op.infoSha256?.slice(0, 8)}`,
        );
      }
    }
    if (op.outcome === 'pending' && op.life.alive) {
      report(
        'op-hung',
        op.name,
        `op#${op.id} ${op.kind} at ${op.node} (started ${op.startedAt} ms) never answered`,
      );
    }
  }
  return violations;
}

function show(view: EntryView | undefined): string {
  if (view === undefined) return 'nothing';
  return `${view.version}${view.deleted ? ' (deleted)' : ` sha=${view.sha256.slice(0, 8)}`}`;
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

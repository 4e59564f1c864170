/**
 * The later cases of the partial replication run (run.ts): a 50/50 and a 90/10 partition, a join,
 * a drain, and killing R nodes at once (the loss is reported, not judged).
 */
import { randomInt } from '@dfs/transport';
import { ConvergenceWatch } from '../replication/convergence.js';
import { checkLastAcknowledgedWins } from '../replication/writes.js';
import { tally, type PartialCluster } from './cluster.js';
import { kib, restoreBoundMs, secs, settleBoundMs, type CaseContext } from './case-context.js';

/** `index:member` pairs the placements of `nodes` hold out or removed. */
function outSeenBy(cluster: PartialCluster, nodes: readonly number[]): Set<string> {
  const out = new Set<string>();
  for (const i of nodes) {
    for (const m of cluster.placements[i]!.memberStates()) {
      if (m.state === 'out' || m.state === 'removed') out.add(`${i}:${m.id}`);
    }
  }
  return out;
}

function storedBytes(cluster: PartialCluster, index: number): number {
  const store = cluster.nodes[index]!.store;
  return store.keys().reduce((sum, key) => sum + (store.get(key)?.size ?? 0), 0);
}

export async function partitionCases(ctx: CaseContext): Promise<void> {
  await halvesCase(ctx);
  await minorityCase(ctx);
}

/** 50/50 for twice the grace, writes on both sides (some to the same names), then the heal. */
async function halvesCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row, random } = ctx;
  const up = cluster.upIndexes();
  const half = Math.floor(up.length / 2);
  const [a, b] = [up.slice(0, half), up.slice(half)];
  const outBefore = outSeenBy(cluster, up).size;
  const acksBefore = work.log.acknowledged.length;
  const failedBefore = work.log.failed;
  cluster.partition(a, b);
  const writes = Math.max(6, Math.ceil(options.files / 10));
  let turn = 0;
  await work.puts(
    writes,
    options.timers.outAfterMs / writes,
    () => {
      const side = turn++ % 2 === 0 ? a : b;
      return side[randomInt(random, side.length)]!;
    },
    () => (turn % 3 === 0 ? work.anyName() : `split-${turn}`),
  );
  await cluster.clock.advance(options.timers.outAfterMs);
  await work.acknowledged(ctx.limitMs);
  const outDuring = outSeenBy(cluster, up).size - outBefore;
  const acks = work.log.acknowledged.length - acksBefore;
  const failed = work.log.failed - failedBefore;
  row(
    `50/50 partition for 2 × outAfterMs: nodes marked out`,
    String(outDuring),
    '0',
    outDuring === 0,
  );
  row(
    '50/50: writes on both sides acknowledged',
    `${acks}/${writes} (${failed} failed)`,
    'all',
    acks === writes,
  );
  cluster.heal();
  const watch = new ConvergenceWatch(
    cluster.upIndexes().map((i) => cluster.engine(i)),
    [...work.names],
  );
  const healed = await cluster.until(
    () => watch.indexesAgree() && work.settled(ctx.ref()),
    ctx.limitMs,
    ctx.checkEveryMs,
  );
  const t = tally(cluster.copies(ctx.ref(), work.names), options.replicas);
  const lost = checkLastAcknowledgedWins(work.log, (name) =>
    cluster.engine(ctx.ref()).describe(name),
  );
  row(
    '50/50 after heal: R copies, surplus, lost writes',
    `${t.exact}/${t.files} exact, ${t.surplus} surplus, ${lost.length} lost, in ${secs(healed)}`,
    'all, 0, 0',
    healed !== undefined && t.exact === t.files && t.surplus === 0 && lost.length === 0,
  );
}

/** 90/10: the majority marks the minority out and restores R copies; the minority marks none out. */
async function minorityCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  const up = cluster.upIndexes();
  const cut = Math.max(1, Math.round(up.length / 10));
  const [minority, majority] = [up.slice(up.length - cut), up.slice(0, up.length - cut)];
  const outBefore = outSeenBy(cluster, minority).size;
  const minorityIds = new Set(minority.map((i) => cluster.nodes[i]!.id));
  const minorityBytes = cluster
    .copies(ctx.ref(), work.names)
    .reduce((sum, c) => sum + c.size * c.holders.filter((h) => minorityIds.has(h)).length, 0);
  const bound = restoreBoundMs(options, minorityBytes, majority.length);
  cluster.partition(majority, minority);
  const repaired = await cluster.until(
    () => tally(cluster.copies(majority[0]!, work.names, majority), options.replicas).under === 0,
    ctx.limitMs,
    ctx.checkEveryMs,
  );
  const outMinority = outSeenBy(cluster, minority).size - outBefore;
  row(
    `90/10 partition (${majority.length}/${minority.length}): majority restores R copies`,
    secs(repaired),
    `≤ ${secs(bound)} (as kill 1, for ${kib(minorityBytes)})`,
    repaired !== undefined && repaired <= bound,
  );
  row('90/10: nodes the minority marks out', String(outMinority), '0', outMinority === 0);
  cluster.heal();
  await ctx.settle();
}

/** A new node: it receives its share (≥ 95 %), little else moves, and the surplus clears. */
export async function joinCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  const inBefore = cluster.bytesIn();
  const newcomer = await cluster.join();
  const newId = cluster.nodes[newcomer]!.id;
  // The newcomer cannot know how long a member has been down: one out elsewhere is down-but-in to it
  // for a whole grace period (times are local by design), and while it is, the newcomer stands in
  // instead of pulling where that member outranks it. So the surplus may take grace + drop delay.
  const bound = options.timers.outAfterMs + settleBoundMs(options.timers);
  const joined = await cluster.until(
    () => work.settled(ctx.ref()),
    bound + ctx.limitMs,
    ctx.checkEveryMs,
  );
  const share = cluster
    .copies(ctx.ref(), work.names)
    .filter((c) => c.targets.includes(newId))
    .reduce((sum, c) => sum + c.size, 0);
  const stored = tally(cluster.copies(ctx.ref(), work.names), options.replicas).bytes;
  const received = cluster.bytesIn((e) => e.nodeId === newId);
  const moved = cluster.bytesIn() - inBefore;
  const n = cluster.upIndexes().length;
  row(
    'join: newcomer receives what is placed on it',
    `${kib(received)} of ${kib(share)} (R/N of stored: ${kib((stored * options.replicas) / n)})`,
    '≥ 95 %',
    share > 0 && received >= 0.95 * share,
  );
  row(
    'join: total bytes moved',
    kib(moved),
    `≤ 1.10 × its share = ${kib(1.1 * share)}`,
    moved <= 1.1 * share,
  );
  row(
    'join: surplus clears',
    joined === undefined ? 'no' : `yes, in ${secs(joined)}`,
    `yes, ≤ grace + settle bound = ${secs(bound)}`,
    joined !== undefined && joined <= bound,
  );
}

/** An operator drains a node: its files move to the others, nothing is under-replicated. */
export async function drainCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  const drained = cluster.upIndexes()[4]!;
  const drainedId = cluster.nodes[drained]!.id;
  const before = storedBytes(cluster, drained);
  await cluster.wholeMs();
  await cluster.placements[ctx.ref()]!.drain(drainedId);
  cluster.shareRows();
  const done = await cluster.until(
    () =>
      tally(cluster.copies(ctx.ref(), work.names), options.replicas).under === 0 &&
      storedBytes(cluster, drained) === 0,
    ctx.limitMs,
    ctx.checkEveryMs,
  );
  const t = tally(cluster.copies(ctx.ref(), work.names), options.replicas);
  row(
    'drain: under-replicated files, bytes left on the drained node',
    `${t.under}, ${storedBytes(cluster, drained)} B of ${kib(before)}, in ${secs(done)}`,
    '0, 0 B',
    done !== undefined && t.under === 0 && before > 0,
  );
}

/** R nodes at once: files whose every copy was on them are lost (reported against F/C(N,R)). */
export function killRCase(ctx: CaseContext): void {
  const { cluster, work, options, row, random } = ctx;
  const R = options.replicas;
  const up = cluster.upIndexes();
  const doomed = new Set<number>();
  while (doomed.size < R) doomed.add(up[randomInt(random, up.length)]!);
  for (const i of doomed) cluster.kill(i);
  const t = tally(cluster.copies(ctx.ref(), work.names), R);
  const expected = t.files / choose(up.length, R);
  row(
    `kill R = ${R} at once: files lost (reported)`,
    `${t.lost} of ${t.files}`,
    `expected ≈ F/C(N,${R}) = ${expected.toFixed(3)}`,
    true,
  );
}

function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}

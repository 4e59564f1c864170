/**
 * Partial replication with real engines (issue 12, design §6 items 5–13): one cluster of N engines
 * with R copies per file, taken through the acceptance cases in turn — settle, kill one, restart
 * within the grace period, kill R−1 then R, flapping, a 50/50 and a 90/10 partition, a join, a
 * drain. Each case starts from a settled cluster and yields rows of measured value vs criterion.
 * Timers are scaled down from the defaults (10 min grace, 10 min drop delay, 1 s probes) and the
 * scale is printed. Copies are ground truth (the nodes' blob stores), never gossip.
 */
import { seededRandom, randomInt } from '@dfs/transport';
import { mix } from '../faults/sim-node.js';
import { ConvergenceWatch } from '../replication/convergence.js';
import { checkLastAcknowledgedWins, WriteLog } from '../replication/writes.js';
import { PartialCluster, tally, type PartialTimers } from './cluster.js';
import { Workload, type Written } from './workload.js';

export interface PartialRunOptions {
  seed: number;
  nodes: number;
  replicas: number;
  files: number;
  minBytes: number;
  maxBytes: number;
  timers: PartialTimers;
  bandwidthBytesPerSec: number;
}

export interface CaseRow {
  case: string;
  measured: string;
  criterion: string;
  pass: boolean;
}

const s = (ms: number | undefined): string => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;

export async function runPartial(options: PartialRunOptions): Promise<CaseRow[]> {
  const { timers, replicas: R } = options;
  const cluster = await PartialCluster.start({
    seed: options.seed,
    nodes: options.nodes,
    replicas: R,
    timers,
    bandwidthBytesPerSec: options.bandwidthBytesPerSec,
  });
  const random = seededRandom(mix(options.seed, 12));
  const work = new Workload(cluster, random, new WriteLog(), {
    min: options.minBytes,
    max: options.maxBytes,
  });
  const rows: CaseRow[] = [];
  const row = (name: string, measured: string, criterion: string, pass: boolean): void => {
    rows.push({ case: name, measured, criterion, pass });
  };
  const detectMs = timers.probeMs * timers.detectProbes;
  const limit = 6 * timers.outAfterMs;
  const ref = (): number => cluster.upIndexes()[0]!;
  const settle = (): Promise<number | undefined> =>
    cluster.until(() => work.log.pending === 0 && work.settled(ref()), limit, 200);
  const outSeenBy = (nodes: readonly number[]): Set<string> => {
    const out = new Set<string>();
    for (const i of nodes) {
      for (const m of cluster.placements[i]!.memberStates()) {
        if (m.state === 'out' || m.state === 'removed') out.add(`${i}:${m.id}`);
      }
    }
    return out;
  };
  const destinedTo = (written: readonly Written[], id: string): number =>
    written
      .filter((w) => cluster.placements[ref()]!.targets(w.name).includes(id))
      .reduce((sum, w) => sum + w.size, 0);

  // 1. Settle.
  await work.puts(options.files, 20);
  const acked = await work.acknowledged(limit);
  const settleMs = await settle();
  const t1 = tally(cluster.copies(ref(), work.names), R);
  row(
    'settle: files on exactly their R targets, 0 surplus',
    `${t1.exact}/${t1.files} exact, ${t1.surplus} surplus, after ${s(settleMs)}`,
    `all, 0, within dropDelayMs + 2 AE = ${s(timers.dropDelayMs + 2 * timers.antiEntropyIntervalMs)}`,
    acked &&
      t1.exact === t1.files &&
      t1.surplus === 0 &&
      settleMs !== undefined &&
      settleMs <= timers.dropDelayMs + 2 * timers.antiEntropyIntervalMs,
  );

  // 2. Kill one node; it stays down (it is out for the rest of the run).
  const victim = 1;
  const victimId = cluster.nodes[victim]!.id;
  const victimBytes = cluster
    .copies(ref(), work.names)
    .filter((c) => c.holders.includes(victimId))
    .reduce((sum, c) => sum + c.size, 0);
  const pulledBefore = cluster.bytesIn();
  cluster.kill(victim);
  const firstMove = await cluster.until(() => cluster.bytesIn() > pulledBefore, timers.outAfterMs, 50);
  const restoreMs = await settle();
  const restoredAfter = restoreMs === undefined ? undefined : restoreMs + (firstMove ?? timers.outAfterMs);
  const n = cluster.upIndexes().length + 1;
  const bound =
    timers.outAfterMs +
    10 * timers.probeMs +
    (2 * (victimBytes / (n - 1)) / options.bandwidthBytesPerSec) * 1000 +
    2 * timers.antiEntropyIntervalMs;
  const t2 = tally(cluster.copies(ref(), work.names), R);
  row(
    'kill 1: body bytes moved before outAfterMs',
    firstMove === undefined ? '0 B' : `moved at ${s(firstMove)}`,
    `0 B before ${s(timers.outAfterMs)}`,
    firstMove === undefined,
  );
  row(
    'kill 1: R copies restored',
    `${s(restoredAfter)} (${kib(victimBytes)} to re-copy)`,
    `≤ ${s(bound)}`,
    restoredAfter !== undefined && restoredAfter <= bound,
  );
  row('kill 1: files lost', String(t2.lost), '0', t2.lost === 0);

  // 3. Restart within the grace period.
  const restarted = 2;
  const restartedId = cluster.nodes[restarted]!.id;
  const moved3 = cluster.bytesPulled();
  cluster.kill(restarted);
  await cluster.clock.advance(detectMs);
  const missed = await work.puts(Math.ceil(options.files / 5), (timers.outAfterMs / 2) / Math.ceil(options.files / 5));
  await work.acknowledged(limit);
  await cluster.startNode(restarted);
  const settled3 = await settle();
  const pulled3 = cluster.bytesPulled() - moved3;
  const allowance3 = destinedTo(missed, restartedId);
  row(
    'restart within grace: bytes pulled',
    `${kib(pulled3)}, settled ${settled3 === undefined ? 'never' : 'yes'}`,
    `≤ missed writes destined to it: ${kib(allowance3)}`,
    settled3 !== undefined && pulled3 <= allowance3,
  );

  // 4. Kill R−1 at once (two targets of one file), GETs from random live nodes, then restart them.
  const sample = cluster.copies(ref(), work.names)[0]!;
  const pair = sample.targets.slice(0, R - 1).map((id) => Number(id.slice('node-'.length)));
  for (const i of pair) cluster.kill(i);
  await cluster.clock.advance(detectMs);
  const t4 = tally(cluster.copies(ref(), work.names), R);
  const getCount = 200;
  const gets = await work.gets(getCount, ref());
  row(`kill R−1 = ${R - 1}: files lost`, String(t4.lost), '0', t4.lost === 0);
  row(`kill R−1: GETs from random live nodes`, `${gets}/${getCount}`, '100 %', gets === getCount);
  for (const i of pair) await cluster.startNode(i);
  await settle();

  // 5. Flapping: up and down for 3 × outAfterMs (30 s / 30 s for 30 min, scaled), writes throughout.
  const flapper = 3;
  const flapperId = cluster.nodes[flapper]!.id;
  const period = timers.outAfterMs / 20;
  const moved5 = cluster.bytesPulled();
  const flapWrites: Written[] = [];
  const flapEnd = cluster.clock.now() + 3 * timers.outAfterMs;
  let flaps = 0;
  while (cluster.clock.now() < flapEnd) {
    cluster.kill(flapper);
    flapWrites.push(...(await work.puts(2, period / 2, () => pickOther(cluster, flapper, random))));
    await cluster.startNode(flapper);
    flapWrites.push(...(await work.puts(2, period / 2, () => pickOther(cluster, flapper, random))));
    flaps++;
  }
  await work.acknowledged(limit);
  const settled5 = await settle();
  const pulled5 = cluster.bytesPulled() - moved5;
  const allowance5 = destinedTo(flapWrites, flapperId);
  row(
    `flapping (${flaps} × ${s(period)} down / up)`,
    `${kib(pulled5)} pulled, settled ${settled5 === undefined ? 'never' : 'yes'}`,
    `≤ writes during it destined to it: ${kib(allowance5)}`,
    settled5 !== undefined && pulled5 <= allowance5,
  );

  // 6. 50/50 partition for 2 × outAfterMs, writes on both sides (some to the same names).
  {
    const up = cluster.upIndexes();
    const half = Math.floor(up.length / 2);
    const [a, b] = [up.slice(0, half), up.slice(half)];
    const outBefore = outSeenBy(up).size;
    const acksBefore = work.log.acknowledged.length;
    const failedBefore = work.log.failed;
    cluster.partition(a, b);
    const writes = Math.ceil(options.files / 10);
    let turn = 0;
    await work.puts(
      writes,
      timers.outAfterMs / writes,
      () => {
        const side = turn++ % 2 === 0 ? a : b;
        return side[randomInt(random, side.length)]!;
      },
      () => (turn % 3 === 0 ? work.anyName() : `split-${turn}`),
    );
    await cluster.clock.advance(timers.outAfterMs);
    await work.acknowledged(limit);
    const outDuring = outSeenBy(up).size - outBefore;
    const acks = work.log.acknowledged.length - acksBefore;
    const failed = work.log.failed - failedBefore;
    row(
      '50/50 partition for 2 × outAfterMs: nodes marked out',
      String(outDuring),
      '0',
      outDuring === 0,
    );
    row('50/50: writes on both sides acknowledged', `${acks}/${writes} (${failed} failed)`, 'all', acks === writes);
    cluster.heal();
    const engines = cluster.upIndexes().map((i) => cluster.engine(i));
    const watch = new ConvergenceWatch(engines, [...work.names]);
    const healed = await cluster.until(() => watch.indexesAgree() && work.settled(ref()), limit, 200);
    const t6 = tally(cluster.copies(ref(), work.names), R);
    if (process.env['PARTIAL_DEBUG'] !== undefined) debugSurplus(cluster, ref(), work.names);
    const lost = checkLastAcknowledgedWins(work.log, (name) => cluster.engine(ref()).describe(name));
    row(
      '50/50 after heal: R copies, surplus, lost writes',
      `${t6.exact}/${t6.files} exact, ${t6.surplus} surplus, ${lost.length} lost, in ${s(healed)}`,
      'all, 0, 0',
      healed !== undefined && t6.exact === t6.files && t6.surplus === 0 && lost.length === 0,
    );
  }

  // 7. 90/10 partition: the majority restores R copies, the minority marks no node out.
  {
    const up = cluster.upIndexes();
    const cut = Math.max(1, Math.round(up.length / 10));
    const [minority, majority] = [up.slice(up.length - cut), up.slice(0, up.length - cut)];
    const outBefore = outSeenBy(minority).size;
    const minorityIds = new Set(minority.map((i) => cluster.nodes[i]!.id));
    const minorityBytes = cluster
      .copies(ref(), work.names)
      .reduce((sum, c) => sum + c.size * c.holders.filter((h) => minorityIds.has(h)).length, 0);
    const bound7 =
      timers.outAfterMs +
      10 * timers.probeMs +
      ((2 * minorityBytes) / majority.length / options.bandwidthBytesPerSec) * 1000 +
      2 * timers.antiEntropyIntervalMs;
    cluster.partition(majority, minority);
    const majorityRef = majority[0]!;
    const repaired = await cluster.until(() => {
      const t = tally(cluster.copies(majorityRef, work.names, majority), R);
      return t.under === 0;
    }, limit, 200);
    const outMinority = outSeenBy(minority).size - outBefore;
    row(
      `90/10 partition (${majority.length}/${minority.length}): majority restores R copies`,
      s(repaired),
      `≤ ${s(bound7)} (as kill 1, for ${kib(minorityBytes)})`,
      repaired !== undefined && repaired <= bound7,
    );
    row('90/10: nodes the minority marks out', String(outMinority), '0', outMinority === 0);
    cluster.heal();
    await settle();
  }

  // 8. A join.
  {
    const stored = tally(cluster.copies(ref(), work.names), R);
    const pulledBefore8 = cluster.bytesIn();
    const newcomer = await cluster.join();
    const newId = cluster.nodes[newcomer]!.id;
    const joined = await settle();
    const share = cluster
      .copies(ref(), work.names)
      .filter((c) => c.targets.includes(newId))
      .reduce((sum, c) => sum + c.size, 0);
    const received = cluster.bytesIn((e) => e.nodeId === newId);
    const moved = cluster.bytesIn() - pulledBefore8;
    const nUp = cluster.upIndexes().length;
    row(
      'join: newcomer receives its share',
      `${kib(received)} of ${kib(share)} placed on it (1/N of stored: ${kib((stored.bytes * R) / nUp)})`,
      '≥ 95 %',
      received >= 0.95 * share,
    );
    row('join: total bytes moved', `${kib(moved)}`, `≤ 1.10 × ideal = ${kib(1.1 * share)}`, moved <= 1.1 * share);
    row('join: surplus clears', joined === undefined ? 'no' : `yes, in ${s(joined)}`, 'yes', joined !== undefined);
  }

  // 9. A drain.
  {
    const drained = 4;
    const drainedId = cluster.nodes[drained]!.id;
    await cluster.placements[ref()]!.drain(drainedId);
    cluster.shareRows();
    const done = await cluster.until(() => {
      const t = tally(cluster.copies(ref(), work.names), R);
      return t.under === 0 && storedBytes(cluster, drained) === 0;
    }, limit, 200);
    const t9 = tally(cluster.copies(ref(), work.names), R);
    row(
      'drain: under-replicated files, bytes left on the drained node',
      `${t9.under}, ${storedBytes(cluster, drained)} B, in ${s(done)}`,
      '0, 0 B',
      done !== undefined,
    );
  }

  // 10. Kill R at once: report the loss.
  {
    const up = cluster.upIndexes();
    const doomed = new Set<number>();
    while (doomed.size < R) doomed.add(up[randomInt(random, up.length)]!);
    for (const i of doomed) cluster.kill(i);
    const t10 = tally(cluster.copies(ref(), work.names), R);
    const expected = t10.files / choose(up.length, R);
    row(
      `kill R = ${R} at once: files lost (reported)`,
      `${t10.lost} of ${t10.files}`,
      `expected ≈ F/C(N,${R}) = ${expected.toFixed(3)}`,
      true,
    );
  }
  await cluster.stop();
  return rows;
}

function pickOther(cluster: PartialCluster, not: number, random: ReturnType<typeof seededRandom>): number {
  const up = cluster.upIndexes().filter((i) => i !== not);
  return up[randomInt(random, up.length)]!;
}

function storedBytes(cluster: PartialCluster, index: number): number {
  const store = cluster.nodes[index]!.store;
  return store.keys().reduce((sum, key) => sum + (store.get(key)?.size ?? 0), 0);
}

function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
}

function debugSurplus(cluster: PartialCluster, reference: number, names: Iterable<string>): void {
  for (const c of cluster.copies(reference, names)) {
    for (const h of c.holders.filter((x) => !c.targets.includes(x))) {
      const i = Number(h.slice(5));
      const e = cluster.engine(i);
      const p = cluster.placements[i]!;
      console.log(c.name, h, 'targets', c.targets.join(','), 'its holders()', p.holders(c.name).join(','), 'its targets', p.targets(c.name).join(','),
        'local', e.describe(c.name)?.local, 'v', e.describe(c.name)?.version === c.version, 'paused', p.paused, 'surplus', e.stats().surplusCopies,
        'states', p.memberStates().filter((m) => m.state !== 'in').map((m) => `${m.id}:${m.state}`).join(' '));
    }
    const missing = c.targets.filter((t) => !c.holders.includes(t));
    if (missing.length > 0) console.log(c.name, 'missing on', missing.join(','));
  }
}

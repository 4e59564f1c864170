/**
 * Partial replication with real engines (issue 12, design §6 items 5–13): one cluster of N engines
 * with R copies per file, taken through the acceptance cases in turn — settle, kill one, restart
 * within the grace period, kill R−1, flapping, a 50/50 and a 90/10 partition, a join, a drain, and
 * last kill R (loss reported). Each case starts from a settled cluster and yields rows of measured
 * value vs criterion. Timers are scaled down from the defaults (10 min grace, 10 min drop delay,
 * 1 s probes); the caller prints them. Copies are ground truth (the nodes' blob stores), never
 * gossip. The later cases live in cases.ts, what they share in case-context.ts.
 */
import { seededRandom } from '@dfs/transport';
import { mix } from '../faults/sim-node.js';
import { WriteLog } from '../replication/writes.js';
import { PartialCluster, tally } from './cluster.js';
import { Workload, type Written } from './workload.js';
import {
  destinedTo,
  kib,
  restoreBoundMs,
  secs,
  settleBoundMs,
  type CaseContext,
  type CaseRow,
  type PartialRunOptions,
} from './case-context.js';
import { debugCopies, debugging } from './debug.js';
import { drainCase, joinCase, killRCase, partitionCases } from './cases.js';

export type { CaseRow, PartialRunOptions } from './case-context.js';

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
  const checkEveryMs = options.checkEveryMs ?? 500;
  const limitMs = timers.outAfterMs + timers.dropDelayMs;
  const ref = (): number => cluster.upIndexes()[0]!;
  const ctx: CaseContext = {
    cluster,
    work,
    options,
    random,
    row: (name, measured, criterion, pass) => rows.push({ case: name, measured, criterion, pass }),
    ref,
    settle: async () => {
      const ms = await cluster.until(
        () => work.log.pending === 0 && work.settled(ref()),
        limitMs,
        checkEveryMs,
      );
      if (ms === undefined && debugging) debugCopies(cluster, ref(), work.names);
      return ms;
    },
    limitMs,
    checkEveryMs,
    detectMs: timers.probeMs * timers.detectProbes,
  };
  await settleCase(ctx);
  await killOneCase(ctx);
  await restartCase(ctx);
  await killROneCase(ctx);
  await flappingCase(ctx);
  await partitionCases(ctx);
  await joinCase(ctx);
  await drainCase(ctx);
  killRCase(ctx);
  await cluster.stop();
  return rows;
}

async function settleCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  await work.puts(options.files, 20);
  const acked = await work.acknowledged(ctx.limitMs);
  const settleMs = await ctx.settle();
  const t = tally(cluster.copies(ctx.ref(), work.names), options.replicas);
  const bound = settleBoundMs(options.timers);
  row(
    'settle: files on exactly their R targets, 0 surplus',
    `${t.exact}/${t.files} exact, ${t.surplus} surplus, after ${secs(settleMs)}`,
    `all, 0, within dropDelayMs + 3 AE = ${secs(bound)}`,
    acked && t.exact === t.files && t.surplus === 0 && settleMs !== undefined && settleMs <= bound,
  );
}

/** Kill one node for good: nothing moves before the grace ends, then R copies are back in time. */
async function killOneCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  const victim = 1;
  const victimId = cluster.nodes[victim]!.id;
  const victimBytes = cluster
    .copies(ctx.ref(), work.names)
    .filter((c) => c.holders.includes(victimId))
    .reduce((sum, c) => sum + c.size, 0);
  const inBefore = cluster.bytesIn();
  const others = cluster.upIndexes().length - 1;
  cluster.kill(victim);
  const killedAt = cluster.clock.now();
  const firstMove = await cluster.until(
    () => cluster.bytesIn() > inBefore,
    options.timers.outAfterMs,
    100,
  );
  const restored = await ctx.settle();
  const restoredAfter = restored === undefined ? undefined : cluster.clock.now() - killedAt;
  const bound = restoreBoundMs(options, victimBytes, others);
  const t = tally(cluster.copies(ctx.ref(), work.names), options.replicas);
  row(
    'kill 1: body bytes moved before outAfterMs',
    firstMove === undefined ? '0 B' : `moved at ${secs(firstMove)}`,
    `0 B before ${secs(options.timers.outAfterMs)}`,
    firstMove === undefined,
  );
  row(
    'kill 1: R copies restored',
    `${secs(restoredAfter)} (${kib(victimBytes)} to re-copy)`,
    `≤ grace + 10 probes + 2 × transfer + 2 AE = ${secs(bound)}`,
    restoredAfter !== undefined && restoredAfter <= bound,
  );
  row('kill 1: files lost', String(t.lost), '0', t.lost === 0);
}

/** Down for half the grace while files placed on it are written: it pulls those and nothing else. */
async function restartCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  const restarted = 2;
  const restartedId = cluster.nodes[restarted]!.id;
  const onIt = cluster.bytesPulled((e) => e.nodeId === restartedId);
  const pulledBefore = cluster.bytesPulled();
  cluster.kill(restarted);
  await cluster.clock.advance(ctx.detectMs);
  const count = Math.max(4, Math.ceil(options.files / 10));
  // Half the writes go to names placed on the restarted node, half anywhere.
  const forced = work.namesTargeting(
    restartedId,
    count,
    cluster.placements[ctx.ref()]!,
    `missed-${restarted}`,
  );
  let k = 0;
  const missed = await work.puts(
    2 * count,
    options.timers.outAfterMs / 2 / (2 * count),
    undefined,
    () => (k++ % 2 === 0 ? forced[k >> 1]! : `restart-other-${k}`),
  );
  await work.acknowledged(ctx.limitMs);
  await cluster.startNode(restarted);
  const settled = await ctx.settle();
  const pulled = cluster.bytesPulled() - pulledBefore;
  const byIt = cluster.bytesPulled((e) => e.nodeId === restartedId) - onIt;
  const allowance = destinedTo(ctx, missed, restartedId);
  row(
    'restart within grace: bytes pulled',
    `${kib(pulled)} (${kib(byIt)} by it), settled ${settled === undefined ? 'never' : 'yes'}`,
    `≤ the ${kib(allowance)} of missed writes placed on it`,
    settled !== undefined && allowance > 0 && pulled <= allowance,
  );
}

/** Two targets of one file down at once: nothing lost, every GET anywhere succeeds. */
async function killROneCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row } = ctx;
  const R = options.replicas;
  const sample = cluster.copies(ctx.ref(), work.names)[0]!;
  const down = sample.targets
    .slice(0, R - 1)
    .map((id) => cluster.nodes.findIndex((n) => n.id === id));
  for (const i of down) cluster.kill(i);
  await cluster.clock.advance(ctx.detectMs);
  const t = tally(cluster.copies(ctx.ref(), work.names), R);
  const getCount = 200;
  const gets = await work.gets(getCount, ctx.ref());
  row(`kill R−1 = ${R - 1} at once: files lost`, String(t.lost), '0', t.lost === 0);
  row('kill R−1: GETs from random live nodes', `${gets}/${getCount}`, '100 %', gets === getCount);
  for (const i of down) await cluster.startNode(i);
  await ctx.settle();
}

/** Up and down (grace/20 each) for 3 × the grace with writes throughout: moves only missed writes. */
async function flappingCase(ctx: CaseContext): Promise<void> {
  const { cluster, work, options, row, random } = ctx;
  const flapper = 3;
  const flapperId = cluster.nodes[flapper]!.id;
  const period = options.timers.outAfterMs / 20;
  const pulledBefore = cluster.bytesPulled();
  const written: Written[] = [];
  const end = cluster.clock.now() + 3 * options.timers.outAfterMs;
  const elsewhere = (): number => {
    const up = cluster.upIndexes().filter((i) => i !== flapper);
    return up[Math.floor(random.next() * up.length)]!;
  };
  // Every other write goes to a name placed on the flapper, so it has writes to miss.
  const placed = work.namesTargeting(
    flapperId,
    60,
    cluster.placements[ctx.ref()]!,
    `flap-${flapper}`,
  );
  let k = 0;
  const name = (): string =>
    k++ % 2 === 0 ? placed[(k >> 1) % placed.length]! : `flap-other-${k}`;
  let flaps = 0;
  while (cluster.clock.now() < end) {
    cluster.kill(flapper);
    written.push(...(await work.puts(1, period, elsewhere, name)));
    await cluster.startNode(flapper);
    written.push(...(await work.puts(1, period, elsewhere, name)));
    flaps++;
  }
  await work.acknowledged(ctx.limitMs);
  const settled = await ctx.settle();
  const pulled = cluster.bytesPulled() - pulledBefore;
  const allowance = destinedTo(ctx, written, flapperId);
  row(
    `flapping (${flaps} × ${secs(period)} down, ${secs(period)} up)`,
    `${kib(pulled)} pulled, settled ${settled === undefined ? 'never' : 'yes'}`,
    `≤ the ${kib(allowance)} written meanwhile placed on it`,
    settled !== undefined && pulled <= allowance,
  );
}

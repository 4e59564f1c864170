/**
 * What the cases of the partial replication run (run.ts, cases.ts) share: the run's options, a
 * result row, the context each case gets, and the bounds the criteria use.
 */
import type { seededRandom } from '@dfs/transport';
import type { PartialCluster, PartialTimers } from './cluster.js';
import type { Workload, Written } from './workload.js';

export interface PartialRunOptions {
  seed: number;
  nodes: number;
  replicas: number;
  /** Files written before the first case. */
  files: number;
  minBytes: number;
  maxBytes: number;
  timers: PartialTimers;
  bandwidthBytesPerSec: number;
  /** How often (virtual ms) a waiting case checks where the copies are. Default 500. */
  checkEveryMs?: number;
}

export interface CaseRow {
  case: string;
  measured: string;
  criterion: string;
  pass: boolean;
}

/** What the cases share: the cluster, the workload, the row sink and the common waits. */
export interface CaseContext {
  cluster: PartialCluster;
  work: Workload;
  options: PartialRunOptions;
  random: ReturnType<typeof seededRandom>;
  row(name: string, measured: string, criterion: string, pass: boolean): void;
  /** The first up node: whose index and placement name the files and their targets. */
  ref(): number;
  /** Runs until every write answered and every file is on exactly its targets (ms, or undefined). */
  settle(): Promise<number | undefined>;
  /** The longest a case waits for a settle that should take seconds. */
  limitMs: number;
  checkEveryMs: number;
  /** When the membership oracle tells the nodes of a change (probe × detect probes). */
  detectMs: number;
}

export const secs = (ms: number | undefined): string =>
  ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`;
export const kib = (bytes: number): string => `${Math.round(bytes / 1024)} KiB`;

/**
 * How long a write settles (every target pulled or was pushed it, the writer's surplus copy
 * dropped): a resync scan runs every anti-entropy interval; the first one after the targets hold
 * their copies records the confirmation, the first at least `dropDelayMs` later drops, so
 * dropDelayMs + 2 intervals, plus one for a pull retried on the next round (and the check period).
 */
export function settleBoundMs(timers: PartialTimers): number {
  return timers.dropDelayMs + 3 * timers.antiEntropyIntervalMs;
}

/**
 * The restore bound of design §6.6: the grace, ten probe periods, twice the lost bytes spread over
 * the others' links, two anti-entropy intervals.
 */
export function restoreBoundMs(
  options: PartialRunOptions,
  lostBytes: number,
  others: number,
): number {
  const { timers, bandwidthBytesPerSec } = options;
  return (
    timers.outAfterMs +
    10 * timers.probeMs +
    ((2 * lostBytes) / others / bandwidthBytesPerSec) * 1000 +
    2 * timers.antiEntropyIntervalMs
  );
}

/** Bytes of `written` whose targets (per the reference placement) include node `id`. */
export function destinedTo(ctx: CaseContext, written: readonly Written[], id: string): number {
  const placement = ctx.cluster.placements[ctx.ref()]!;
  return written
    .filter((w) => placement.targets(w.name).includes(id))
    .reduce((sum, w) => sum + w.size, 0);
}

/**
 * Replication: real replication engines (the code the node process runs) at 100 and N (default
 * 1,000) nodes on the in-memory network in virtual time — puts and deletes at random nodes, a 50/50
 * partition during which both halves keep writing, then the heal. Reports how long until every
 * index agrees and every live body is on every node, traffic per node, and whether the newest
 * acknowledged write of every name won. The run itself is src/replication/run.ts.
 */
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.js';
import { runReplication, type ReplicationRunOptions } from '../replication/run.js';

/** Target: every index agrees and every body is everywhere within this long after the heal. */
const TARGET_AFTER_HEAL_MS = 30_000;

/**
 * The workload for a cluster of `nodes`. The engine replicates every file to every node and
 * gossips each version's holder set, so one write costs O(N) messages of up to N holder ids each
 * across the cluster: about N² work. At 100 nodes a write costs about 0.2 s of CPU; at 1,000 nodes
 * about 10–15 s (one write: 16 s, none: 1.4 s). So 100 nodes run 20 writes on 20 names before the
 * split and 20 during it; 1,000 nodes one put before and one on each side during (one name: a
 * conflict the heal must settle), which is what the 60 s budget of `pnpm sim` affords. Bodies are
 * small (16–256 bytes): body bytes cost the simulation little and the times hardly depend on them.
 */
export function workloadFor(nodes: number): Omit<ReplicationRunOptions, 'seed' | 'nodes'> {
  const large = nodes > 300;
  return {
    names: large ? 1 : 20,
    writesBefore: large ? 1 : 20,
    writesDuring: large ? 2 : 20,
    writeWindowMs: 4_000,
    minBytes: 16,
    maxBytes: 256,
    splitMs: 12_000,
    detectMs: 4_000,
    timeoutMs: 120_000,
    readBackNodes: large ? 5 : 10,
    measureBytes: !large,
    config: { announceBatchMs: 200 },
  };
}

const seconds = (ms: number | undefined): number | string =>
  ms === undefined ? 'never' : Math.round(ms / 100) / 10;
const round = (x: number): number => Math.round(x);

export const scenario: Scenario = {
  name: 'replication',
  description:
    'real replication engines: puts and deletes, a 50/50 partition with writes on both sides, heal: time to convergence',
  async run({ seed, nodes }: ScenarioOptions): Promise<ScenarioResult> {
    const sizes = nodes > 100 ? [100, nodes] : [nodes];
    const figures: ScenarioResult['figures'] = {};
    let passed = true;
    for (const size of sizes) {
      const workload = workloadFor(size);
      const run = await runReplication({ seed, nodes: size, ...workload });
      const at = `${size} nodes: `;
      figures[`${at}writes (acknowledged / no-op deletes / failed)`] =
        `${run.writes.acknowledged} / ${run.writes.noops} / ${run.writes.failed}`;
      figures[`${at}names (live / deleted)`] = `${run.liveFiles} / ${run.tombstones}`;
      figures[`${at}s from last write to converged, whole`] = seconds(run.convergedBeforeSplitMs);
      figures[`${at}s after heal until every index agrees`] = seconds(run.indexAgreedAfterHealMs);
      figures[`${at}s after heal until every body is everywhere`] = seconds(
        run.convergedAfterHealMs,
      );
      figures[`${at}acknowledged writes lost`] = run.lost.length;
      figures[`${at}bodies read back wrong`] = run.badReadBacks;
      figures[`${at}messages per node`] = round(run.messagesPerNode);
      figures[`${at}messages per node after heal`] = round(run.messagesPerNodeAfterHeal);
      figures[`${at}KiB per node`] =
        run.bytesPerNode === undefined ? 'not measured' : round(run.bytesPerNode / 1024);
      figures[`${at}announcements sent per node`] = round(run.announcementsSentPerNode);
      figures[`${at}body bytes received per node`] = round(run.bodyBytesInPerNode);
      passed &&=
        run.lost.length === 0 &&
        run.badReadBacks === 0 &&
        run.convergedBeforeSplitMs !== undefined &&
        run.convergedAfterHealMs !== undefined &&
        run.convergedAfterHealMs <= TARGET_AFTER_HEAL_MS;
    }
    return { name: 'replication', figures, passed };
  },
};

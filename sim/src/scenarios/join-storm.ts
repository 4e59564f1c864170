/**
 * Join storm: a running cluster of N − 100 nodes (default 900), and 100 new nodes that all join at
 * the same instant through one seed. Reports the probe periods until every join() resolved and
 * until every node's view holds all N members, the seed's load, and message cost. With N ≤ 100 the
 * storm is N − 1 nodes joining a lone seed.
 */
import { DEFAULT_CONFIG } from '@dfs/peer-discovery';
import { SimCluster, periods, type SimNode } from '../membership/cluster.js';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.js';

const PROBE_MS = DEFAULT_CONFIG.probeIntervalMs;
const JOINERS = 100;
/** A join storm that has not settled after this long has failed. */
const TIMEOUT_PERIODS = 60;
/** Target: every view complete within this many probe periods. */
const TARGET_PERIODS = 15;

export const scenario: Scenario = {
  name: 'join-storm',
  description: '100 nodes join through one seed at once: time until every view is complete',
  async run({ seed, nodes }: ScenarioOptions): Promise<ScenarioResult> {
    const joiners = Math.min(JOINERS, nodes - 1);
    const cluster = new SimCluster({ seed, measureBytes: true });
    const existing = await cluster.bootstrap(nodes - joiners);
    const seedNode = existing[0] as SimNode;
    let seedSyncs = 0;
    seedNode.membership.on('join', () => seedSyncs++);
    await cluster.clock.advance(2 * PROBE_MS);
    const newcomers: SimNode[] = [];
    for (let i = 0; i < joiners; i++)
      newcomers.push(await cluster.add({ seeds: [seedNode.address] }));

    const before = cluster.network.stats();
    let joined = 0;
    for (const node of newcomers) void node.membership.start().then(() => joined++);
    const joinMs = await cluster.measure(() => joined === joiners, {
      timeoutMs: TIMEOUT_PERIODS * PROBE_MS,
      stepMs: 10,
    });
    const startedAt = cluster.clock.now() - (joinMs ?? 0);
    const completeMs = await cluster.measure(() => cluster.countsComplete(cluster.nodes), {
      timeoutMs: TIMEOUT_PERIODS * PROBE_MS,
      stepMs: PROBE_MS / 10,
    });
    const totalMs = completeMs === undefined ? undefined : cluster.clock.now() - startedAt;
    const after = cluster.network.stats();
    const elapsedPeriods = (cluster.clock.now() - startedAt) / PROBE_MS;
    const figures: Record<string, number | string | boolean> = {
      'cluster size after the storm': nodes,
      'nodes joining at once': joiners,
      'probe interval (ms)': PROBE_MS,
      'ms until every join() resolved': joinMs ?? 'never',
      'periods until every view is complete': periods(totalMs, PROBE_MS),
      'views verified member by member':
        completeMs !== undefined && cluster.viewsComplete(cluster.nodes),
      'members the seed saw join': seedSyncs,
      'messages per node per period during the storm':
        Math.round(((after.delivered - before.delivered) / nodes / elapsedPeriods) * 10) / 10,
      'KiB per node during the storm': Math.round((after.bytes - before.bytes) / nodes / 1024),
      'false deaths': cluster.falseDeaths,
    };
    await cluster.stop();
    const passed =
      typeof figures['periods until every view is complete'] === 'number' &&
      (figures['periods until every view is complete'] as number) <= TARGET_PERIODS &&
      figures['views verified member by member'] === true;
    return { name: 'join-storm', figures, passed };
  },
};

/**
 * Failure detection: a cluster of N (default 1,000) running SWIM with the default settings. Kill 1
 * node, then 10 at once: how many probe periods until every live node marks them dead. Then the
 * same cluster at 5 % message loss and with slow nodes (a round trip longer than the probe
 * timeout): how many healthy nodes are falsely suspected, and how many falsely declared dead.
 * Targets: every live node learns of a failure within 10 probe periods; zero false deaths at 5 %.
 */
import { DEFAULT_CONFIG } from '@dfs/peer-discovery';
import { sample, seededRandom } from '@dfs/transport';
import { SimCluster, periods, type SimNode } from '../membership/cluster.js';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.js';

const PROBE_MS = DEFAULT_CONFIG.probeIntervalMs;
const TARGET_PERIODS = 10;
/** How long the lossy and slow clusters run looking for false positives. */
const SOAK_PERIODS = 20;
const SLOW_NODES = 10;
const SLOW_ONE_WAY_MS = 300;

async function timeToDeath(cluster: SimCluster, victims: SimNode[]): Promise<number | undefined> {
  for (const victim of victims) await cluster.crash(victim);
  const liveCount = cluster.live().length;
  return cluster.measure(() => cluster.allMarkedDead(victims, liveCount), {
    timeoutMs: 60 * PROBE_MS,
    stepMs: PROBE_MS / 10,
  });
}

async function killOneThenTen(
  nodes: number,
  seed: number,
): Promise<Record<string, number | string>> {
  const cluster = new SimCluster({ seed });
  const all = await cluster.bootstrap(nodes);
  await cluster.clock.advance(2 * PROBE_MS);
  const random = seededRandom(seed);
  const [first, ...rest] = sample(random, all, 11) as SimNode[];
  const one = await timeToDeath(cluster, [first as SimNode]);
  const ten = await timeToDeath(cluster, rest);
  const delivered = cluster.network.stats().delivered;
  const figures = {
    'kill 1: periods until all mark it dead': periods(one, PROBE_MS),
    'kill 10: periods until all mark them dead': periods(ten, PROBE_MS),
    'false suspicions (no loss)': cluster.falseSuspicions,
    'false deaths (no loss)': cluster.falseDeaths,
    'messages per node per period':
      Math.round((delivered / nodes / (cluster.clock.now() / PROBE_MS)) * 10) / 10,
  };
  await cluster.stop();
  return figures;
}

async function soakWithLoss(nodes: number, seed: number): Promise<Record<string, number | string>> {
  const cluster = new SimCluster({ seed, lossRate: 0.05 });
  const all = await cluster.bootstrap(nodes);
  await cluster.clock.advance(SOAK_PERIODS * PROBE_MS);
  const [victim] = sample(seededRandom(seed + 1), all, 1) as SimNode[];
  const toDeath = await timeToDeath(cluster, [victim as SimNode]);
  const figures = {
    '5% loss: false suspicions': cluster.falseSuspicions,
    '5% loss: false deaths': cluster.falseDeaths,
    '5% loss: kill 1, periods until all mark it dead': periods(toDeath, PROBE_MS),
  };
  await cluster.stop();
  return figures;
}

async function soakWithSlowNodes(
  nodes: number,
  seed: number,
): Promise<Record<string, number | string>> {
  const cluster = new SimCluster({ seed });
  const all = await cluster.bootstrap(nodes);
  const slow = sample(seededRandom(seed + 2), all, SLOW_NODES);
  for (const s of slow) {
    for (const other of all) {
      if (other !== s)
        cluster.network.setLink(s.address, other.address, { latencyMs: SLOW_ONE_WAY_MS });
    }
  }
  await cluster.clock.advance(SOAK_PERIODS * PROBE_MS);
  const figures = {
    [`${SLOW_NODES} slow nodes (${2 * SLOW_ONE_WAY_MS} ms RTT): false suspicions`]:
      cluster.falseSuspicions,
    [`${SLOW_NODES} slow nodes: false deaths`]: cluster.falseDeaths,
  };
  await cluster.stop();
  return figures;
}

export const scenario: Scenario = {
  name: 'failure-detection',
  description:
    'SWIM failure detection: time to mark crashed nodes dead; false positives under loss and slow nodes',
  async run({ seed, nodes }: ScenarioOptions): Promise<ScenarioResult> {
    const figures: Record<string, number | string> = {
      nodes,
      'probe interval (ms)': PROBE_MS,
      ...(await killOneThenTen(nodes, seed)),
      ...(await soakWithLoss(nodes, seed)),
      ...(await soakWithSlowNodes(nodes, seed)),
    };
    const within = (key: string): boolean => {
      const value = figures[key];
      return typeof value === 'number' && value <= TARGET_PERIODS;
    };
    const passed =
      within('kill 1: periods until all mark it dead') &&
      within('kill 10: periods until all mark them dead') &&
      within('5% loss: kill 1, periods until all mark it dead') &&
      figures['5% loss: false deaths'] === 0;
    return { name: 'failure-detection', figures, passed };
  },
};

/**
 * Partition: N nodes (500 by default, `--full`: 1,000) split into two halves that cannot reach each other. While
 * split, each half declares the other dead and keeps writing to a data set spread by @dfs/gossip
 * (rumors for news, anti-entropy for repair) over the membership's live view. Then the network
 * heals. Reports how long each half took to declare the other dead, and after the heal how long
 * until every membership view is whole again and every node holds the whole data set.
 */
import { AntiEntropy, RumorMonger, VersionedMap } from '@dfs/gossip';
import { DEFAULT_CONFIG } from '@dfs/peer-discovery';
import { randomInt, seededRandom } from '@dfs/transport';
import { SimCluster, periods, type SimNode } from '../membership/cluster.js';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.js';

const PROBE_MS = DEFAULT_CONFIG.probeIntervalMs;
/** Keys written during the partition, half on each side. */
const WRITES = 100;
/**
 * How long the halves stay apart: long enough for most of each half to be declared dead by the
 * other (the slowest few take longer: each member must first be probed by someone across the cut).
 */
const SPLIT_PERIODS = 15;
const ANTI_ENTROPY_MS = 2500;
const TIMEOUT_PERIODS = 90;
/** Target: membership and data whole again within this many probe periods of the heal. */
const TARGET_PERIODS = 30;
/**
 * Nodes in the default run; `--full` runs `--nodes` (1,000). The cost grows about as N² — while
 * split every node suspects, confirms and declares dead each member of the other half, and after
 * the heal re-learns each one — so 1,000 nodes take about 100 s of CPU, more than the whole 60 s
 * budget of `pnpm sim`, and 500 nodes about 30 s. Both heal well within the target (500: views
 * whole 8.5 periods after the heal, data 11; 1,000: 16 and 11).
 */
const DEFAULT_NODES = 500;

interface DataNode {
  state: VersionedMap;
  monger: RumorMonger;
  engine: AntiEntropy;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function startDataLayer(cluster: SimCluster, node: SimNode, seed: number): DataNode {
  const state = new VersionedMap();
  const peers = () => node.membership.liveMembers();
  const monger = new RumorMonger({
    transport: node.transport,
    peers,
    clock: cluster.clock,
    random: seededRandom(seed * 300_007 + node.index),
  });
  monger.subscribe('data', (rumor) => {
    const key = decoder.decode(rumor.payload);
    return state.set(key, { version: 1, data: rumor.payload });
  });
  const engine = new AntiEntropy({
    transport: node.transport,
    peers,
    reconciler: state,
    name: 'sim-data',
    clock: cluster.clock,
    random: seededRandom(seed * 400_009 + node.index),
    intervalMs: ANTI_ENTROPY_MS,
  });
  monger.start();
  engine.start();
  return { state, monger, engine };
}

function write(data: DataNode, key: string): void {
  const payload = encoder.encode(key);
  data.state.set(key, { version: 1, data: payload });
  data.monger.broadcast('data', payload, { key });
}

export const scenario: Scenario = {
  name: 'partition',
  description:
    'split the cluster in two halves, write on both, heal: time until membership and data converge',
  async run({ seed, nodes: requested, full }: ScenarioOptions): Promise<ScenarioResult> {
    const nodes = full === true ? requested : Math.min(requested, DEFAULT_NODES);
    const cluster = new SimCluster({ seed });
    const all = await cluster.bootstrap(nodes);
    const data = all.map((node) => startDataLayer(cluster, node, seed));
    await cluster.clock.advance(2 * PROBE_MS);
    const half = Math.floor(nodes / 2);
    const sideA = all.slice(0, half);
    const sideB = all.slice(half);
    cluster.network.partition(
      sideA.map((n) => n.address),
      sideB.map((n) => n.address),
    );
    const random = seededRandom(seed + 7);
    for (let i = 0; i < WRITES; i++) {
      const side = i % 2 === 0 ? sideA : sideB;
      const writer = side[randomInt(random, side.length)] as SimNode;
      write(data[writer.index] as DataNode, `file-${i}`);
    }
    await cluster.clock.advance(SPLIT_PERIODS * PROBE_MS);
    const seenDead = (observers: SimNode[], others: number): number =>
      observers.reduce((sum, node) => sum + (others - node.livePeers + observers.length - 1), 0) /
      (observers.length * others);
    const deadAcross = (seenDead(sideA, sideB.length) + seenDead(sideB, sideA.length)) / 2;
    const sideDataWhole = data.filter((d) => d.state.size === WRITES / 2).length / nodes;

    cluster.network.heal();
    const healedAt = cluster.clock.now();
    let membershipMs: number | undefined;
    let dataMs: number | undefined;
    await cluster.measure(
      () => {
        const now = cluster.clock.now() - healedAt;
        if (membershipMs === undefined && cluster.countsComplete(all)) membershipMs = now;
        if (dataMs === undefined && data.every((d) => d.state.size === WRITES)) dataMs = now;
        return membershipMs !== undefined && dataMs !== undefined;
      },
      { timeoutMs: TIMEOUT_PERIODS * PROBE_MS, stepMs: PROBE_MS / 2 },
    );
    const figures: Record<string, number | string | boolean> = {
      nodes,
      split: `${sideA.length} / ${sideB.length} for ${SPLIT_PERIODS} periods`,
      'probe interval (ms)': PROBE_MS,
      'share of the other half seen dead at the heal': Math.round(deadAcross * 1000) / 1000,
      "share of nodes holding their half's writes at the heal":
        Math.round(sideDataWhole * 1000) / 1000,
      'periods after heal until every view is whole': periods(membershipMs, PROBE_MS),
      'periods after heal until every node has all data': periods(dataMs, PROBE_MS),
      'views verified member by member': cluster.viewsComplete(all),
      'data keys': WRITES,
      'anti-entropy interval (ms)': ANTI_ENTROPY_MS,
    };
    for (const d of data) d.monger.stop();
    await Promise.all(data.map((d) => d.engine.stop()));
    await cluster.stop();
    const within = (value: number | string | boolean | undefined): boolean =>
      typeof value === 'number' && value <= TARGET_PERIODS;
    const passed =
      within(figures['periods after heal until every view is whole']) &&
      within(figures['periods after heal until every node has all data']) &&
      figures['views verified member by member'] === true;
    return { name: 'partition', figures, passed };
  },
};

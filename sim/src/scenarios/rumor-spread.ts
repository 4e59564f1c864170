/**
 * Rumor spread: one node broadcasts a rumor in a cluster of N (default 1,000) with fanout 3, at 0 %,
 * 10 % and 30 % message loss. Reports rounds (gossip intervals) until every node has it, messages per
 * node, and the textbook estimate for push gossip, log_(f+1)(N) + ln(N)/f with the effective fanout
 * f = fanout * (1 - loss): exponential growth, then the tail where each round leaves e^-f uninformed.
 * Target: 100 % coverage within 12 rounds at 0 % and 10 % loss.
 */
import {
  AntiEntropy,
  RUMOR_DEFAULTS,
  RumorMonger,
  VersionedMap,
  retransmitLimit,
} from '@dfs/gossip';
import {
  MemoryNetwork,
  VirtualClock,
  seededRandom,
  type MemoryTransport,
  type PeerInfo,
} from '@dfs/transport';
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.js';

const FANOUT = 3;
const INTERVAL_MS = 200;
const LATENCY_MS = 5;
const MAX_ROUNDS = 60;
/** Anti-entropy runs every 5 gossip rounds, with a request deadline of 5 rounds. */
const ANTI_ENTROPY_INTERVAL_MS = 5 * INTERVAL_MS;
const KEY = 'a new file';
const TARGET_ROUNDS = 12;
const LOSS_RATES = [0, 0.1, 0.3] as const;

export interface SpreadRun {
  lossRate: number;
  /** Gossip intervals from the broadcast until the last node received it (undefined if never). */
  roundsToAll: number | undefined;
  coverage: number;
  /** Rounds until every node had it by rumor or by anti-entropy (pull every 5 rounds). */
  roundsToAllWithAntiEntropy: number | undefined;
  /** Rumor packets sent per node until every retransmission ran out. */
  messagesPerNode: number;
  /** Copies a node received that it already had. */
  duplicatesPerNode: number;
  estimateRounds: number;
}

/** The log-fanout estimate of rounds for push gossip to reach all of n nodes. */
export function estimateRounds(n: number, fanout: number, lossRate: number): number {
  const f = fanout * (1 - lossRate);
  return Math.log(n) / Math.log(f + 1) + Math.log(n) / f;
}

export async function simulateSpread(
  nodes: number,
  lossRate: number,
  seed: number,
): Promise<SpreadRun> {
  const clock = new VirtualClock(0);
  const network = new MemoryNetwork({
    clock,
    random: seededRandom(seed),
    latencyMs: LATENCY_MS,
    lossRate,
    // No byte counts are reported and nothing mutates a message: skip the codec (see SimCluster).
    shareValues: true,
    measureBytes: false,
  });
  const transports: MemoryTransport[] = [];
  for (let i = 0; i < nodes; i++) {
    const transport = network.createTransport({ id: `node-${i}`, address: `n${i}` });
    await transport.listen();
    transports.push(transport);
  }
  const everyone: PeerInfo[] = transports.map((t) => ({ id: t.id, address: t.address }));
  const firstHeard: (number | undefined)[] = new Array<number | undefined>(nodes).fill(undefined);
  const states = transports.map(() => new VersionedMap());
  const data = new TextEncoder().encode('sha256 of the new file');
  const mongers = transports.map((transport, i) => {
    // Each node's view: everyone but itself, built once (the view is static in this scenario).
    const view = everyone.filter((_, j) => j !== i);
    const monger = new RumorMonger({
      transport,
      peers: () => view,
      clock,
      random: seededRandom(seed * 100_003 + i),
      fanout: FANOUT,
      gossipIntervalMs: INTERVAL_MS,
    });
    monger.subscribe('sim', () => {
      firstHeard[i] ??= clock.now();
      // Always spread (return nothing): the rumor figures must not depend on anti-entropy.
      states[i]?.set(KEY, { version: 1, data });
    });
    monger.start();
    return monger;
  });
  const engines = transports.map((transport, i) => {
    const view = everyone.filter((_, j) => j !== i);
    const engine = new AntiEntropy({
      transport,
      peers: () => view,
      reconciler: states[i] as VersionedMap,
      name: 'sim',
      clock,
      random: seededRandom(seed * 200_003 + i),
      intervalMs: ANTI_ENTROPY_INTERVAL_MS,
      requestTimeoutMs: ANTI_ENTROPY_INTERVAL_MS,
    });
    engine.start();
    return engine;
  });

  const started = clock.now();
  firstHeard[0] = started;
  states[0]?.set(KEY, { version: 1, data });
  mongers[0]?.broadcast('sim', new TextEncoder().encode(KEY));
  let roundsToAllWithAntiEntropy: number | undefined;
  const rumorsSettled = (): boolean => mongers.every((m) => m.stats().queued === 0);
  for (let round = 1; round <= MAX_ROUNDS; round++) {
    await clock.advance(INTERVAL_MS);
    if (roundsToAllWithAntiEntropy === undefined && states.every((s) => s.size === 1)) {
      roundsToAllWithAntiEntropy = round;
    }
    if (rumorsSettled() && roundsToAllWithAntiEntropy !== undefined) break;
  }
  await clock.advance(LATENCY_MS * 2);

  const heard = firstHeard.filter((t): t is number => t !== undefined);
  const last = Math.max(...heard);
  const packets = mongers.reduce((sum, m) => sum + m.stats().packetsSent, 0);
  const duplicates = mongers.reduce((sum, m) => sum + m.stats().duplicates, 0);
  for (const monger of mongers) monger.stop();
  await Promise.all(engines.map((engine) => engine.stop()));
  // The transports are left to the garbage collector with their virtual clock: nothing real runs,
  // and closing 1,000 memory transports costs O(N^2) (each close notifies every other transport).
  return {
    lossRate,
    roundsToAll: heard.length === nodes ? Math.ceil((last - started) / INTERVAL_MS) : undefined,
    roundsToAllWithAntiEntropy,
    coverage: heard.length / nodes,
    messagesPerNode: packets / nodes,
    duplicatesPerNode: duplicates / nodes,
    estimateRounds: estimateRounds(nodes, FANOUT, lossRate),
  };
}

export const scenario: Scenario = {
  name: 'rumor-spread',
  description: `one broadcast, fanout ${FANOUT}, at ${LOSS_RATES.map((l) => `${l * 100} %`).join(', ')} loss`,
  async run({ seed, nodes }: ScenarioOptions): Promise<ScenarioResult> {
    const figures: ScenarioResult['figures'] = {
      nodes,
      fanout: FANOUT,
      'retransmissions per rumor per node': retransmitLimit(
        RUMOR_DEFAULTS.retransmitMultiplier,
        nodes,
      ),
    };
    let passed = true;
    for (const lossRate of LOSS_RATES) {
      const run = await simulateSpread(nodes, lossRate, seed);
      const label = `loss ${Math.round(lossRate * 100)} %`;
      figures[`${label}: rounds to 100 %`] = run.roundsToAll ?? 'never';
      figures[`${label}: coverage %`] = Number((run.coverage * 100).toFixed(2));
      figures[`${label}: rounds to 100 % with anti-entropy`] =
        run.roundsToAllWithAntiEntropy ?? 'never';
      figures[`${label}: estimate log_(f+1) N + ln N / f`] = Number(run.estimateRounds.toFixed(1));
      figures[`${label}: messages per node`] = Number(run.messagesPerNode.toFixed(2));
      figures[`${label}: duplicates per node`] = Number(run.duplicatesPerNode.toFixed(2));
      if (lossRate <= 0.1) {
        passed &&= run.roundsToAll !== undefined && run.roundsToAll <= TARGET_ROUNDS;
      }
    }
    figures[`target: 100 % in <= ${TARGET_ROUNDS} rounds at 0 % and 10 % loss`] = passed;
    return { name: 'rumor-spread', figures, passed };
  },
};

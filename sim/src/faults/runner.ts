/**
 * One seed of the fault simulation: N real replication engines on a MemoryNetwork in virtual time,
 * a seeded workload, a seeded fault schedule, then heal, quiesce and check (checker.ts).
 *
 * Determinism: every random choice comes from a seeded stream (workload, faults, network, each
 * disk, store, clock skew and engine), every wait is on the VirtualClock, and nothing touches the
 * real filesystem, so one seed always gives the same trace.
 */
import { createHash } from 'node:crypto';
import { MemoryNetwork, VirtualClock, seededRandom } from '@dfs/transport';
import type { PeerInfo } from '@dfs/transport';
import type { FaultClass } from './fault-classes.js';
import { History } from './history.js';
import { HostilePeer } from './hostile-peer.js';
import { FaultInjector } from './injector.js';
import { drawSchedule } from './schedule.js';
import { SimNode, mix } from './sim-node.js';
import { WORKLOAD_NAMES, issueOp, planOp } from './workload.js';
import { collectFinalState } from './final-state.js';
import { checkInvariants } from './checker.js';
import type { Violation } from './checker.js';

export interface FaultSimOptions {
  seed: number;
  /** Nodes in the cluster (default 5). */
  nodes?: number;
  /** Client operations in the workload (default 60). */
  ops?: number;
  faults: ReadonlySet<FaultClass>;
  /** Print each trace line as it happens. */
  echo?: (line: string) => void;
}

export interface FaultSimResult {
  seed: number;
  violations: Violation[];
  trace: string[];
  /** sha256 of the trace: equal for equal runs. */
  traceHash: string;
  virtualMs: number;
  counts: Record<string, number>;
}

/** Virtual ms allowed for the cluster to converge after every fault is healed. */
const QUIESCE_DEADLINE_MS = 60_000;

export async function runFaultSim(options: FaultSimOptions): Promise<FaultSimResult> {
  const seed = options.seed >>> 0;
  const nodeCount = options.nodes ?? 5;
  const opCount = options.ops ?? 60;
  const clock = new VirtualClock();
  const history = new History(() => clock.now(), options.echo);
  const network = new MemoryNetwork({
    clock,
    random: seededRandom(mix(seed, 2)),
    latencyMs: 1,
    jitterMs: 3,
    // Receivers get the sender's value, not a decoded copy: the engine never mutates a message
    // (every one is parsed by zod into a fresh object first), and decoding is most of the cost.
    shareValues: true,
    measureBytes: false,
  });
  const hostileModes = {
    holders: options.faults.has('hostile-holders'),
    future: options.faults.has('hostile-future'),
    bytes: options.faults.has('hostile-bytes'),
    stall: options.faults.has('hostile-stall'),
  };
  const hostile = Object.values(hostileModes).some(Boolean)
    ? new HostilePeer({
        network,
        random: seededRandom(mix(seed, 3)),
        modes: hostileModes,
        now: () => clock.now(),
        targets: () => upPeers(),
        note: (line) => history.note(line),
      })
    : undefined;
  const nodes: SimNode[] = [];
  const upPeers = (): PeerInfo[] =>
    nodes.filter((n) => n.state === 'up').map((n) => ({ id: n.id, address: n.address }));
  const peers = (): PeerInfo[] =>
    hostile === undefined ? upPeers() : [...upPeers(), hostile.info];
  for (let i = 0; i < nodeCount; i++) {
    nodes.push(new SimNode({ index: i, seed, network, clock, peers }));
  }
  const injector = new FaultInjector({
    nodes,
    network,
    clock,
    history,
    hostile,
    skew: options.faults.has('skew'),
    seed,
  });
  history.note(
    `seed ${seed}, ${nodeCount} nodes, ${opCount} ops, faults: ${[...options.faults].join(',') || 'none'}`,
  );
  for (const node of nodes) await node.listen();
  await hostile?.start();
  await drive(clock, Promise.all(nodes.map((n) => injector.startNode(n))), 10_000);

  // Workload and faults, interleaved in virtual time.
  const workloadRandom = seededRandom(mix(seed, 1));
  const plans: { at: number; run: () => void }[] = [];
  let at = 0;
  for (let i = 0; i < opCount; i++) {
    at += Math.floor(workloadRandom.next() * 150);
    const plan = planOp(workloadRandom);
    plans.push({
      at,
      run: () => void issueOp(plan, nodes, history, (node) => injector.acknowledged(node)),
    });
  }
  const schedule = drawSchedule(seededRandom(mix(seed, 4)), {
    nodes: nodeCount,
    workloadMs: at,
    enabled: options.faults,
  });
  const events = [
    ...plans,
    ...schedule.map((fault) => ({ at: fault.at, run: () => injector.inject(fault) })),
  ].sort((a, b) => a.at - b.at);
  const start = history.elapsed();
  for (const event of events) {
    const wait = start + event.at - history.elapsed();
    if (wait > 0) await clock.advance(wait);
    event.run();
  }

  // Heal everything, bring every node back, and let the cluster settle.
  history.note('heal');
  injector.healAll();
  await drive(clock, injector.restartDownNodes(), 20_000);
  // A node may still be opening (a retry started before the heal): wait for it too.
  await clock
    .runUntil(() => nodes.every((n) => n.state !== 'starting'), { timeoutMs: 20_000 })
    .catch(() => undefined);
  const down = nodes.filter((n) => n.state !== 'up');
  const extra: Violation[] = down.map((n) => ({
    invariant: 'restart',
    detail: `${n.id} did not come back up`,
  }));
  const universe = (): string[] => [
    ...new Set([...WORKLOAD_NAMES, ...(hostile?.madeUpNames ?? [])]),
  ];
  const quiesceStart = history.elapsed();
  while (history.elapsed() - quiesceStart < QUIESCE_DEADLINE_MS) {
    await clock.advance(500);
    if (
      settled(nodes, universe(), hostile?.madeUpNames ?? new Set()) &&
      history.ops.every((op) => op.outcome !== 'pending' || !op.life.alive)
    )
      break;
  }
  history.note(`quiesced after ${history.elapsed() - quiesceStart} ms`);
  for (const node of nodes) {
    const stats = node.engine?.stats();
    if (stats === undefined) continue;
    history.note(
      `${node.id}: transfers active ${stats.activeTransfers} queued ${stats.queuedTransfers}, ` +
        `failed ${stats.transfersFailed}, integrity failures ${stats.integrityFailures}, corrupt found ${stats.corruptDetected}`,
    );
  }
  history.closeDeadOps();
  const final = await collectFinalState(
    nodes,
    universe(),
    hostile?.madeUpNames ?? new Set(),
    (p) => drive(clock, p, 10_000),
    (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
  );
  const violations = [
    ...extra,
    ...checkInvariants(history.ops, final, { phantomNames: hostile?.madeUpNames ?? new Set() }),
  ];
  for (const v of violations)
    history.note(
      `VIOLATION ${v.invariant}${v.name === undefined ? '' : ` ${v.name}`}: ${v.detail}`,
    );
  return {
    seed,
    violations,
    trace: history.trace,
    traceHash: createHash('sha256').update(history.trace.join('\n')).digest('hex'),
    virtualMs: history.elapsed(),
    counts: {
      ...countOps(history),
      ...injector.counts(),
      'final reads that failed once, then served': final.failedFirstTry,
      'messages delivered': network.stats().delivered,
      'messages dropped': network.stats().dropped,
    },
  };
}

/** Every up node agrees on every name and holds the bytes of every live entry. */
function settled(
  nodes: readonly SimNode[],
  names: readonly string[],
  phantoms: ReadonlySet<string>,
): boolean {
  const engines = nodes.map((n) => n.engine);
  if (engines.some((e) => e === undefined)) return false;
  for (const name of names) {
    let reference: string | undefined;
    for (const engine of engines) {
      const view = engine?.describe(name);
      if (view !== undefined && !view.deleted && !view.local && !phantoms.has(name)) return false;
      const key = view === undefined ? '-' : `${view.version}/${view.deleted}`;
      if (reference === undefined) reference = key;
      else if (reference !== key) return false;
    }
  }
  return true;
}

/** Advances virtual time until `promise` settles (or `timeoutMs` of virtual time passed). */
export async function drive<T>(
  clock: VirtualClock,
  promise: Promise<T>,
  timeoutMs: number,
): Promise<T | undefined> {
  let done = false;
  let value: T | undefined;
  let failure: { error: unknown } | undefined;
  promise.then(
    (v) => {
      done = true;
      value = v;
    },
    (error: unknown) => {
      done = true;
      failure = { error };
    },
  );
  const deadline = clock.now() + timeoutMs;
  await clock.advance(0);
  while (!done && clock.now() < deadline) await clock.advance(10);
  if (failure !== undefined) throw failure.error;
  return value;
}

function countOps(history: History): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const op of history.ops) {
    const key = `${op.kind} ${op.outcome}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * The placement model: `placement/1` (@dfs/replication) applied to a synthetic file population, with
 * no engines and no network. Measures what the partial-replication design promises of the placement
 * function alone: balance of stored bytes and file counts, bytes moved by a join or a leave against
 * the ideal, proportionality to weights, and CPU cost. Figures other than times are deterministic
 * functions of (seed, sizes).
 */
import {
  Placement,
  PlacementCache,
  placementNameHash,
  type PlacementMember,
} from '@dfs/replication';
import { seededRandom } from '@dfs/transport';

/** A synthetic population: names and exponentially distributed sizes (mean `MEAN_SIZE`). */
export interface Population {
  readonly names: readonly string[];
  readonly sizes: Float64Array;
  readonly totalBytes: number;
}

export const MEAN_SIZE = 1 << 20;

/**
 * Runs `work` and returns its result with the CPU milliseconds it took (user + system). CPU time,
 * not wall time: the simulator shares its machine, and a busy neighbour should not read as a slow
 * placement. GC threads count, so this is an upper bound on the main thread's work.
 */
export function cpuTimed<T>(work: () => T): { result: T; cpuMs: number } {
  const before = process.cpuUsage();
  const result = work();
  const used = process.cpuUsage(before);
  return { result, cpuMs: (used.user + used.system) / 1000 };
}

export function population(files: number, seed: number): Population {
  const random = seededRandom(seed);
  const names = new Array<string>(files);
  const sizes = new Float64Array(files);
  let totalBytes = 0;
  for (let i = 0; i < files; i++) {
    // 42-character-ish names spread over 1,000 directories, as the design's index measurements used.
    names[i] = `data/dir-${(i % 1000).toString().padStart(4, '0')}/seed-${seed}-file-${i}.bin`;
    // Inverse-CDF exponential; 1 - next() is in (0, 1], so the log is finite.
    sizes[i] = Math.round(-Math.log(1 - random.next()) * MEAN_SIZE);
    totalBytes += sizes[i]!;
  }
  return { names, sizes, totalBytes };
}

export function equalMembers(count: number, prefix = 'node'): PlacementMember[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}`, weight: 1 }));
}

export interface Balance {
  /** Most-loaded node's stored bytes over the mean. */
  maxOverMeanBytes: number;
  /** Most-loaded node's file count over the mean. */
  maxOverMeanCount: number;
  /** Least-loaded node's stored bytes over the mean. */
  minOverMeanBytes: number;
}

/** Per-node stored bytes and copies when every file lives on its R targets. */
export function loads(
  targetsOf: (index: number) => readonly string[],
  pop: Population,
  ids: readonly string[],
): { bytes: Map<string, number>; count: Map<string, number> } {
  const bytes = new Map<string, number>(ids.map((id) => [id, 0]));
  const count = new Map<string, number>(ids.map((id) => [id, 0]));
  for (let i = 0; i < pop.names.length; i++) {
    for (const id of targetsOf(i)) {
      bytes.set(id, bytes.get(id)! + pop.sizes[i]!);
      count.set(id, count.get(id)! + 1);
    }
  }
  return { bytes, count };
}

function maxOverMean(values: Iterable<number>): { max: number; min: number } {
  const list = [...values];
  const mean = list.reduce((a, b) => a + b, 0) / list.length;
  return { max: Math.max(...list) / mean, min: Math.min(...list) / mean };
}

export function balanceOf(load: ReturnType<typeof loads>): Balance {
  const bytes = maxOverMean(load.bytes.values());
  return {
    maxOverMeanBytes: bytes.max,
    minOverMeanBytes: bytes.min,
    maxOverMeanCount: maxOverMean(load.count.values()).max,
  };
}

/** Balance at `nodes` equal members: ranks every name once (no cache kept). */
export function measureBalance(nodes: number, pop: Population, replicas: number): Balance {
  const placement = Placement.of(equalMembers(nodes));
  return balanceOf(loads((i) => placement.targets(pop.names[i]!, replicas), pop, placement.ids));
}

export interface Moves {
  /** Bytes copied onto the newcomer by each join, over the ideal R · total / (N + 1). */
  joinRatios: number[];
  /** Bytes re-replicated after each leave, over the ideal R · total / N. */
  leaveRatios: number[];
  /** Copies that moved between two members that neither joined nor left (must be 0). */
  movesBetweenUnchanged: number;
  /** CPU milliseconds the cache took to update every entry for each join. */
  joinUpdateMs: number[];
  /** The newcomer's entries over its fair share R · files / (N + 1), per join. */
  newcomerShare: number[];
}

/**
 * Fills a PlacementCache with every file, then applies `joins` joins and `leaves` leaves one after
 * another, measuring each against a fresh ideal. Leaves remove original members chosen by the seed.
 */
export function measureMoves(
  nodes: number,
  pop: Population,
  replicas: number,
  options: { joins: number; leaves: number; seed: number },
): { moves: Moves; balance: Balance } {
  const cache = new PlacementCache({ replicas, members: equalMembers(nodes) });
  const sizeOf = new Map<string, number>();
  pop.names.forEach((name, i) => {
    sizeOf.set(name, pop.sizes[i]!);
    cache.targets(name);
  });
  const balance = balanceOf(loads((i) => cache.targets(pop.names[i]!), pop, cache.placement.ids));
  const storedBytes = pop.totalBytes * Math.min(replicas, nodes);
  const moves: Moves = {
    joinRatios: [],
    leaveRatios: [],
    movesBetweenUnchanged: 0,
    joinUpdateMs: [],
    newcomerShare: [],
  };
  // Warm the JIT on the join and leave paths; joining then leaving restores every entry.
  cache.join({ id: 'warm-up', weight: 1 });
  cache.leave('warm-up');
  for (let j = 0; j < options.joins; j++) {
    const id = `joiner-${j}`;
    const n = cache.placement.size + 1;
    const { result: changes, cpuMs } = cpuTimed(() => cache.join({ id, weight: 1 }));
    moves.joinUpdateMs.push(cpuMs);
    let moved = 0;
    for (const c of changes) {
      for (const target of c.after)
        if (!c.before.includes(target) && target !== id) moves.movesBetweenUnchanged++;
      moved += sizeOf.get(c.name)!;
    }
    moves.joinRatios.push(moved / (storedBytes / n));
    moves.newcomerShare.push(changes.length / ((pop.names.length * replicas) / n));
  }
  const random = seededRandom(options.seed ^ 0x5eed);
  for (let l = 0; l < options.leaves; l++) {
    const ids = cache.placement.ids.filter((id) => id.startsWith('node-'));
    const id = ids[Math.floor(random.next() * ids.length)]!;
    const n = cache.placement.size;
    const changes = cache.leave(id);
    let moved = 0;
    for (const c of changes) {
      const gained = c.after.filter((t) => !c.before.includes(t));
      moves.movesBetweenUnchanged += c.before.filter(
        (t) => !c.after.includes(t) && t !== id,
      ).length;
      moved += sizeOf.get(c.name)! * gained.length;
    }
    moves.leaveRatios.push(moved / (storedBytes / n));
  }
  return { moves, balance };
}

export interface WeightShares {
  /** Per weight class: the class's share of stored bytes over its proportional share. */
  byWeight: Map<number, number>;
}

/** `perClass` members of each weight; returns each class's stored bytes over its fair share. */
export function measureWeights(
  weights: readonly number[],
  perClass: number,
  pop: Population,
  replicas: number,
): WeightShares {
  const members = weights.flatMap((w) =>
    Array.from({ length: perClass }, (_, i) => ({ id: `w${w}-${i}`, weight: w })),
  );
  const placement = Placement.of(members);
  const load = loads((i) => placement.targets(pop.names[i]!, replicas), pop, placement.ids);
  const totalWeight = members.reduce((a, m) => a + m.weight, 0);
  const stored = pop.totalBytes * replicas;
  const byWeight = new Map<number, number>();
  for (const w of weights) {
    let bytes = 0;
    for (const m of members) if (m.weight === w) bytes += load.bytes.get(m.id)!;
    byWeight.set(w, bytes / ((stored * w * perClass) / totalWeight));
  }
  return { byWeight };
}

/** CPU µs to compute one name's R targets at `nodes` members, with and without hashing it. */
export function measureRankingCost(
  nodes: number,
  names: number,
  replicas: number,
): { microsPerName: number; microsPerNamePrehashed: number } {
  const placement = Placement.of(equalMembers(nodes));
  const list = Array.from({ length: names }, (_, i) => `data/dir-${i % 1000}/cost-${i}.bin`);
  for (const name of list.slice(0, 200)) placement.targets(name, replicas); // warm the JIT
  const { result: hashes, cpuMs: withHash } = cpuTimed(() => {
    const hashed = list.map((name) => placementNameHash(name));
    for (const h of hashed) placement.targets(h, replicas);
    return hashed;
  });
  const { cpuMs: prehashed } = cpuTimed(() => {
    for (const h of hashes) placement.targets(h, replicas);
  });
  return {
    microsPerName: (withHash * 1000) / names,
    microsPerNamePrehashed: (prehashed * 1000) / names,
  };
}

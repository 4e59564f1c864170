/**
 * `PARTIAL_DEBUG=1`: prints, for every file not on exactly its targets, each surplus holder's own
 * view of it (its targets and holders, whether its index calls its copy local, the brake, members
 * not in) and the targets missing it — what found the engine bugs this scenario turned up.
 */
import type { PartialCluster } from './cluster.js';

export const debugging = process.env['PARTIAL_DEBUG'] !== undefined;

export function debugCopies(
  cluster: PartialCluster,
  reference: number,
  names: Iterable<string>,
): void {
  for (const c of cluster.copies(reference, names)) {
    for (const holder of c.holders.filter((h) => !c.targets.includes(h))) {
      const i = cluster.nodes.findIndex((n) => n.id === holder);
      const entry = cluster.engine(i).describe(c.name);
      const placement = cluster.placements[i]!;
      const notIn = placement
        .memberStates()
        .filter((m) => m.state !== 'in')
        .map((m) => `${m.id}:${m.state}`);
      console.log(
        `${c.name} surplus on ${holder}: targets ${c.targets.join(',')}; its targets`,
        `${placement.targets(c.name).join(',')}, its holders ${placement.holders(c.name).join(',')};`,
        `local ${entry?.local}, current ${entry?.version === c.version}, paused ${placement.paused},`,
        `gauge ${JSON.stringify(cluster.engine(i).stats())
          .match(/"(surplus|underRep|rebalance)[A-Za-z]*":\d+/g)
          ?.join(' ')},`,
        `peers ${cluster.peersOf(i).length}, has targets ${c.targets.every((t) => cluster.peersOf(i).some((p) => p.id === t))}`,
        `not in: ${notIn.join(' ')}`,
      );
      for (const t of c.targets) {
        const ti = cluster.nodes.findIndex((n) => n.id === t);
        const te = cluster.nodes[ti]!.engine?.describe(c.name);
        const tp = cluster.placements[ti]!;
        console.log(
          `  target ${t}: local ${te?.local}, current ${te?.version === c.version}, its targets`,
          `${tp.targets(c.name).join(',')}, not in: ${tp
            .memberStates()
            .filter((m) => m.state !== 'in')
            .map((m) => `${m.id}:${m.state}`)
            .join(' ')}`,
        );
      }
    }
    const missing = c.targets.filter((t) => !c.holders.includes(t));
    if (missing.length > 0) {
      const stats = missing.map((t) => {
        const s = cluster.nodes.find((n) => n.id === t)?.engine?.stats();
        return `${t} (active transfers ${s?.activeTransfers}, started ${s?.transfersStarted})`;
      });
      console.log(`${c.name} missing on ${stats.join(', ')}`);
    }
  }
}

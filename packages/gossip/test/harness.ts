import {
  MemoryNetwork,
  VirtualClock,
  seededRandom,
  type MemoryTransport,
  type PeerInfo,
} from '@dfs/transport';

/** N memory transports on one network and one virtual clock, with a static full membership view. */
export interface TestCluster {
  clock: VirtualClock;
  network: MemoryNetwork;
  transports: MemoryTransport[];
  /** Live peers of node i (everyone else, minus the killed). */
  peersOf(i: number): () => PeerInfo[];
  close(): Promise<void>;
}

export async function createCluster(
  size: number,
  options: { seed?: number; lossRate?: number; latencyMs?: number } = {},
): Promise<TestCluster> {
  const clock = new VirtualClock(0);
  const network = new MemoryNetwork({
    clock,
    random: seededRandom(options.seed ?? 1),
    lossRate: options.lossRate ?? 0,
    latencyMs: options.latencyMs ?? 5,
  });
  const transports: MemoryTransport[] = [];
  for (let i = 0; i < size; i++) {
    const transport = network.createTransport({ id: `node-${i}`, address: `n${i}` });
    await transport.listen();
    transports.push(transport);
  }
  const infos: PeerInfo[] = transports.map((t) => ({ id: t.id, address: t.address }));
  return {
    clock,
    network,
    transports,
    peersOf: (i) => () => infos.filter((p, j) => j !== i && !network.isKilled(p.address)),
    close: async () => {
      await Promise.all(transports.map((t) => t.close()));
    },
  };
}

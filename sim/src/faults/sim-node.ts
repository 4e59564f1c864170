/**
 * One simulated node: a real replication engine (`createReplicatedFileService`, the code the node
 * process runs) on a simulated disk and blob store that outlive its crashes, a `MemoryTransport`
 * address that outlives them too, and a clock view with its own skew. A crash kills the incarnation
 * (nothing is stopped gracefully), loses the disk's unsynced data and drops the node off the network;
 * a restart opens a fresh engine on what the disk kept.
 */
import { createReplicatedFileService } from '@dfs/replication';
import type { PlacementView, ReplicationConfig, ReplicationEngine } from '@dfs/replication';
import type { MemoryNetwork, MemoryTransport, PeerInfo, VirtualClock } from '@dfs/transport';
import { seededRandom } from '@dfs/transport';
import { Incarnation } from './incarnation.js';
import { IncarnationTransport } from './incarnation-transport.js';
import { SimBlobStore } from './sim-blob-store.js';
import { SimDisk } from './sim-disk.js';

/** Engine tunables for the simulation: short intervals so a run covers many rounds. */
export const SIM_ENGINE_CONFIG: Partial<ReplicationConfig> = {
  fanout: 2,
  antiEntropyIntervalMs: 1_000,
  tombstoneTtlMs: 60 * 60 * 1000,
  pushPeers: 1,
  pushOpenTimeoutMs: 50,
  pushIdleTimeoutMs: 2_000,
  transferConcurrency: 2,
  scrubIntervalMs: 2_000,
  scrubBatch: 16,
  lookupTimeoutMs: 300,
};

export type NodeState = 'up' | 'starting' | 'down';

export class SimNode {
  readonly id: string;
  readonly address: string;
  readonly disk: SimDisk;
  readonly store: SimBlobStore;
  readonly #transport: MemoryTransport;
  readonly #network: MemoryNetwork;
  readonly #clock: VirtualClock;
  readonly #seed: number;
  readonly #peers: () => PeerInfo[];
  readonly #config: Partial<ReplicationConfig>;
  readonly #placement: (() => PlacementView) | undefined;
  readonly #members: (() => Iterable<string>) | undefined;
  #life: Incarnation | undefined;
  #facade: IncarnationTransport | undefined;
  #engine: ReplicationEngine | undefined;
  #state: NodeState = 'down';
  #incarnations = 0;

  constructor(options: {
    index: number;
    seed: number;
    network: MemoryNetwork;
    clock: VirtualClock;
    peers: () => PeerInfo[];
    /** Engine tunables (default SIM_ENGINE_CONFIG, the fault simulation's short intervals). */
    config?: Partial<ReplicationConfig>;
    /** Which nodes should hold each file, asked at each start (default: every node holds every file). */
    placement?: () => PlacementView;
    /** Every member id this node knows (default: the ids of `peers()`). */
    members?: () => Iterable<string>;
  }) {
    this.id = `node-${options.index}`;
    this.address = `mem-${options.index}`;
    this.#seed = options.seed;
    this.#network = options.network;
    this.#clock = options.clock;
    this.#peers = options.peers;
    this.#config = options.config ?? SIM_ENGINE_CONFIG;
    this.#placement = options.placement;
    this.#members = options.members;
    this.disk = new SimDisk(seededRandom(mix(options.seed, 100 + options.index)));
    this.store = new SimBlobStore(seededRandom(mix(options.seed, 200 + options.index)));
    this.#transport = options.network.createTransport({ id: this.id, address: this.address });
  }

  get state(): NodeState {
    return this.#state;
  }

  /** The running engine (only while up). */
  get engine(): ReplicationEngine | undefined {
    return this.#state === 'up' ? this.#engine : undefined;
  }

  /** The current life (ops record it so an answer from a dead life counts as unknown). */
  get life(): Incarnation | undefined {
    return this.#life;
  }

  get incarnations(): number {
    return this.#incarnations;
  }

  async listen(): Promise<void> {
    await this.#transport.listen();
  }

  /**
   * Opens a new engine on the disk's durable state. Resolves once it is up (true) or the open
   * failed (false, the node stays down); the caller drives virtual time meanwhile.
   */
  async start(offsetMs: number): Promise<{ ok: true } | { ok: false; error: unknown }> {
    if (this.#state !== 'down') return { ok: true };
    this.#network.revive(this.address);
    const life = new Incarnation(this.#clock, offsetMs);
    const facade = new IncarnationTransport(this.#transport, life);
    this.#life = life;
    this.#facade = facade;
    this.#state = 'starting';
    this.#incarnations++;
    try {
      const engine = await createReplicatedFileService({
        nodeId: this.id,
        dataDir: `/data/${this.id}/index`,
        store: this.store.view(life),
        indexFs: this.disk.view(life),
        transport: facade,
        peers: this.#peers,
        clock: life,
        random: seededRandom(mix(this.#seed, 1000 * (this.#incarnations + 1) + hash(this.id))),
        config: this.#config,
        indexFsync: 'always',
        ...(this.#placement === undefined ? {} : { placement: this.#placement() }),
        ...(this.#members === undefined ? {} : { members: this.#members }),
      });
      if (!life.alive) return { ok: false, error: new Error('crashed while opening') };
      this.#engine = engine;
      this.#state = 'up';
      engine.start();
      return { ok: true };
    } catch (error) {
      // The process exits on a failed open: it stops, but the OS keeps what it wrote.
      if (life.alive) this.#die();
      return { ok: false, error };
    }
  }

  /** Power loss: the process dies mid-whatever, unsynced data is lost, peers see it vanish. */
  crash(): void {
    if (this.#state === 'down') return;
    this.#die();
    this.disk.crash();
  }

  #die(): void {
    this.#life?.kill();
    this.#facade?.kill();
    this.#network.kill(this.address);
    this.#engine = undefined;
    this.#state = 'down';
  }
}

/** Mixes a seed with a stream number into an independent 32-bit seed (splitmix-style). */
export function mix(seed: number, stream: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(stream >>> 0, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) >>> 0;
  return h;
}

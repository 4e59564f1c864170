/**
 * An in-process cluster for replication tests: N engines on one MemoryNetwork, virtual clock,
 * seeded randomness, each with its own temp-dir @dfs/store and index. Nodes can be stopped
 * (crash: the network kills the address) and restarted on the same directories.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { openStore } from '@dfs/store';
import type { Store } from '@dfs/store';
import { MemoryNetwork, VirtualClock, seededRandom } from '@dfs/transport';
import type { MemoryTransport, PeerInfo } from '@dfs/transport';
import type { IndexFs, PlacementView } from '../src/index.js';
import { createReplicatedFileService } from '../src/index.js';
import type { ReplicationConfig, ReplicationEngine, ReplicationLogger } from '../src/index.js';

export interface TestNode {
  readonly id: string;
  readonly address: string;
  readonly dir: string;
  readonly transport: MemoryTransport;
  store: Store;
  engine: ReplicationEngine;
  up: boolean;
}

export const TEST_CONFIG: Partial<ReplicationConfig> = {
  fanout: 2,
  antiEntropyIntervalMs: 1_000,
  tombstoneTtlMs: 60 * 60 * 1000,
  transferConcurrency: 2,
  scrubIntervalMs: 10 * 60 * 1000,
  lookupTimeoutMs: 500,
  // Pushing makes put() wait for the network (virtual time); push tests enable it and drive puts.
  pushPeers: 0,
};

export class TestCluster {
  readonly clock = new VirtualClock();
  readonly random = seededRandom(42);
  readonly network: MemoryNetwork;
  readonly nodes: TestNode[] = [];
  readonly #root: string;
  readonly #config: Partial<ReplicationConfig>;
  /** Each node's placement (default: none, every node holds every file). */
  placement: ((nodeId: string) => PlacementView | undefined) | undefined;
  /** The filesystem each node's index runs on (default: the real one). */
  indexFs: ((nodeId: string) => IndexFs | undefined) | undefined;
  readonly #logger: ReplicationLogger | undefined;

  private constructor(
    root: string,
    config: Partial<ReplicationConfig>,
    latencyMs: number,
    lossRate: number,
    logger: ReplicationLogger | undefined,
  ) {
    this.#root = root;
    this.#config = config;
    this.#logger = logger;
    this.network = new MemoryNetwork({
      clock: this.clock,
      random: this.random,
      latencyMs,
      lossRate,
    });
  }

  static async create(
    size: number,
    options?: {
      config?: Partial<ReplicationConfig>;
      latencyMs?: number;
      lossRate?: number;
      /** Every engine logs here (tests that check what is logged). */
      logger?: ReplicationLogger;
      placement?: (cluster: TestCluster, nodeId: string) => PlacementView;
    },
  ): Promise<TestCluster> {
    const root = await mkdtemp(join(tmpdir(), 'dfs-repl-'));
    const cluster = new TestCluster(
      root,
      { ...TEST_CONFIG, ...options?.config },
      options?.latencyMs ?? 1,
      options?.lossRate ?? 0,
      options?.logger,
    );
    const placement = options?.placement;
    if (placement !== undefined) cluster.placement = (id) => placement(cluster, id);
    for (let i = 0; i < size; i++) await cluster.addNode();
    return cluster;
  }

  /** Live peers as membership would report them: every node that is up. */
  livePeers = (): PeerInfo[] =>
    this.nodes.filter((n) => n.up).map((n) => ({ id: n.id, address: n.address }));

  /** Every member as membership would know it, up or down (holders must be one of these). */
  memberIds = (): string[] => this.nodes.map((n) => n.id);

  async addNode(): Promise<TestNode> {
    const i = this.nodes.length;
    const id = `node-${i}`;
    const address = `mem-${i}`;
    const dir = join(this.#root, id);
    const transport = this.network.createTransport({ id, address });
    await transport.listen();
    const { store, engine } = await this.#open(id, dir, transport);
    const node: TestNode = { id, address, dir, transport, store, engine, up: true };
    this.nodes.push(node);
    engine.start();
    return node;
  }

  async #open(
    id: string,
    dir: string,
    transport: MemoryTransport,
  ): Promise<{ store: Store; engine: ReplicationEngine }> {
    const store = await openStore({ dir: join(dir, 'store'), fsync: false });
    const engine = await createReplicatedFileService({
      nodeId: id,
      dataDir: join(dir, 'index'),
      store,
      transport,
      peers: this.livePeers,
      members: this.memberIds,
      clock: this.clock,
      random: this.random,
      config: this.#config,
      indexFsync: 'never',
      indexFs: this.indexFs?.(id),
      placement: this.placement?.(id),
      logger: this.#logger,
    });
    return { store, engine };
  }

  /** Crash-like stop: unreachable at once, engine and store closed. */
  async stopNode(node: TestNode): Promise<void> {
    node.up = false;
    this.network.kill(node.address);
    await node.engine.stop();
    await node.store.close();
  }

  /** Restart on the same directories (index and store reopened from disk). */
  async restartNode(node: TestNode): Promise<void> {
    this.network.revive(node.address);
    const { store, engine } = await this.#open(node.id, node.dir, node.transport);
    node.store = store;
    node.engine = engine;
    node.up = true;
    engine.start();
  }

  /**
   * Advance virtual time until `condition` holds (fails after `timeoutMs` of virtual time). Disk I/O
   * is real, so before each step we let pending file-system requests finish: virtual time then only
   * moves while the disk is idle, and a virtual timeout can never fire "during" a slow real write.
   */
  async until(condition: () => boolean, timeoutMs = 30_000, stepMs = 5): Promise<void> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      await settleDiskIo();
      if (condition()) return;
      if (this.clock.now() >= deadline) {
        throw new Error(`condition not met within ${timeoutMs} ms of virtual time`);
      }
      await this.clock.advance(stepMs);
    }
  }

  /** Awaits `operation` while advancing virtual time (for calls that talk to peers). */
  async drive<T>(operation: Promise<T>, timeoutMs = 30_000): Promise<T> {
    let settled = false;
    const tracked = operation.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    await this.until(() => settled, timeoutMs);
    return tracked;
  }

  upNodes(): TestNode[] {
    return this.nodes.filter((n) => n.up);
  }

  async close(): Promise<void> {
    // Engines first (they abort their transfers), then stores, then the network.
    const up = this.nodes.filter((n) => n.up);
    await Promise.all(up.map((n) => n.engine.stop()));
    await Promise.all(up.map((n) => n.store.close()));
    for (const node of this.nodes) await node.transport.close();
    await rm(this.#root, { recursive: true, force: true });
  }
}

const DISK_REQUESTS = new Set(['FSReqPromise', 'FSReqCallback', 'CloseReq', 'FileHandleCloseReq']);

/** Yields to the event loop until no file-system request is pending (bounded). */
async function settleDiskIo(): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!process.getActiveResourcesInfo().some((r) => DISK_REQUESTS.has(r))) return;
  }
}

export function body(content: string): Readable {
  return Readable.from([Buffer.from(content)]);
}

export async function readText(engine: ReplicationEngine, name: string): Promise<string> {
  const { stream } = await engine.read(name);
  return text(stream);
}

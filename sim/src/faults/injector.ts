/**
 * Carries out the fault schedule on the simulated cluster: network loss bursts and partitions,
 * crashes and restarts, disk and store fault windows, bit flips, and the hostile peer's lies. Each
 * window's end is a timer on the virtual clock; `healAll` ends them all at once.
 */
import type { MemoryNetwork, Random, VirtualClock } from '@dfs/transport';
import { seededRandom } from '@dfs/transport';
import type { History } from './history.js';
import type { HostilePeer } from './hostile-peer.js';
import type { ScheduledFault } from './schedule.js';
import type { SimNode } from './sim-node.js';
import { mix } from './sim-node.js';
import { WORKLOAD_NAMES } from './workload.js';

/** Largest clock error drawn per node life when skew is on. */
const MAX_SKEW_MS = 10_000;

export class FaultInjector {
  readonly #nodes: readonly SimNode[];
  readonly #network: MemoryNetwork;
  readonly #clock: VirtualClock;
  readonly #history: History;
  readonly #hostile: HostilePeer | undefined;
  readonly #skew: boolean;
  readonly #skewRandom: Random[];
  readonly #lossyLinks = new Set<string>();
  /** Nodes to crash the moment they acknowledge a write (and how long to stay down). */
  readonly #crashOnAck = new Map<SimNode, number>();
  #healed = false;
  #restarts = 0;
  #failedOpens = 0;

  constructor(options: {
    nodes: readonly SimNode[];
    network: MemoryNetwork;
    clock: VirtualClock;
    history: History;
    hostile: HostilePeer | undefined;
    skew: boolean;
    seed: number;
  }) {
    this.#nodes = options.nodes;
    this.#network = options.network;
    this.#clock = options.clock;
    this.#history = options.history;
    this.#hostile = options.hostile;
    this.#skew = options.skew;
    this.#skewRandom = options.nodes.map((_, i) => seededRandom(mix(options.seed, 300 + i)));
  }

  /** Opens `node`'s engine (with a fresh clock error when skew is on); retries a failed open. */
  async startNode(node: SimNode): Promise<void> {
    const index = this.#nodes.indexOf(node);
    const draw = (this.#skewRandom[index] as Random).next();
    const offset = this.#skew ? Math.round((draw * 2 - 1) * MAX_SKEW_MS) : 0;
    if (node.state !== 'down') return;
    const started = await node.start(offset);
    if (started.ok) {
      this.#history.note(
        `${node.id} up (life ${node.incarnations}, clock ${offset >= 0 ? '+' : ''}${offset} ms)`,
      );
      return;
    }
    this.#failedOpens++;
    const code = (started.error as { code?: unknown } | undefined)?.code;
    this.#history.note(`${node.id} failed to open: ${String(code ?? started.error)}`);
    if (!this.#healed) this.#clock.setTimeout(() => void this.startNode(node), 500);
  }

  inject(fault: ScheduledFault): void {
    const node = this.#nodes[fault.node] as SimNode;
    const until = (end: () => void): void => {
      this.#clock.setTimeout(end, fault.durationMs);
    };
    const what = `${fault.fault} ${node.id}`;
    switch (fault.fault) {
      case 'loss': {
        this.#history.note(`fault ${what}: 30% loss for ${fault.durationMs} ms`);
        this.#setLoss(node, 0.3);
        until(() => this.#setLoss(node, 0));
        return;
      }
      case 'partition': {
        const n = this.#nodes.length;
        const mask = 1 + Math.floor(fault.pick * (2 ** n - 2));
        const a = this.#nodes.filter((_, i) => (mask >> i) & 1).map((x) => x.address);
        const b = this.#nodes.filter((_, i) => !((mask >> i) & 1)).map((x) => x.address);
        this.#history.note(
          `fault partition [${a.join(',')}] | [${b.join(',')}] for ${fault.durationMs} ms`,
        );
        this.#network.partition(a, b);
        until(() => {
          this.#history.note('partition healed');
          this.#network.heal();
        });
        return;
      }
      case 'crash': {
        if (node.state === 'down') return;
        // Half the crashes hit right after an acknowledgement: the window where a write is
        // acknowledged but only this node has it, which is where durability bugs show.
        if (fault.pick < 0.5) {
          this.#history.note(`fault ${what}: crash armed for its next acknowledgement`);
          this.#crashOnAck.set(node, fault.durationMs);
          return;
        }
        this.#crash(node, fault.durationMs);
        return;
      }
      case 'skew':
        return;
      case 'index-full':
        this.#history.note(`fault ${what} for ${fault.durationMs} ms`);
        node.disk.faults.full = true;
        until(() => (node.disk.faults.full = false));
        return;
      case 'index-eio':
        this.#history.note(`fault ${what} for ${fault.durationMs} ms`);
        node.disk.faults.eioRate = 0.2;
        until(() => (node.disk.faults.eioRate = 0));
        return;
      case 'index-short':
        this.#history.note(`fault ${what} for ${fault.durationMs} ms`);
        node.disk.faults.shortWriteRate = 0.5;
        until(() => (node.disk.faults.shortWriteRate = 0));
        return;
      case 'index-bitflip':
        this.#history.note(`fault ${what}: ${node.disk.flipBit() ?? 'empty disk'}`);
        return;
      case 'store-full':
        this.#history.note(`fault ${what} for ${fault.durationMs} ms`);
        node.store.faults.full = true;
        until(() => (node.store.faults.full = false));
        return;
      case 'store-eio':
        this.#history.note(`fault ${what} for ${fault.durationMs} ms`);
        node.store.faults.eioRate = 0.2;
        until(() => (node.store.faults.eioRate = 0));
        return;
      case 'store-bitflip': {
        // Only a copy some other node still holds intact: losing every copy is not a bug.
        const candidates = node.store
          .keys()
          .filter((key) => node.store.healthy(key))
          .filter((key) => this.#nodes.some((other) => other !== node && other.store.healthy(key)));
        const key = candidates[Math.floor(fault.pick * candidates.length)];
        if (key !== undefined) node.store.flipBit(key);
        this.#history.note(
          `fault ${what}: ${key === undefined ? 'no copy to spare' : key.slice(0, 12)}`,
        );
        return;
      }
      case 'hostile-holders':
      case 'hostile-future':
      case 'hostile-bytes':
      case 'hostile-stall': {
        const hostile = this.#hostile;
        if (hostile === undefined) return;
        const kind = fault.fault.slice('hostile-'.length) as
          'holders' | 'future' | 'bytes' | 'stall';
        const name = WORKLOAD_NAMES[Math.floor(fault.pick * WORKLOAD_NAMES.length)] as string;
        const targets = this.#nodes
          .filter((n) => n.state === 'up')
          .map((n) => ({ id: n.id, address: n.address }));
        void hostile.act(kind, name, targets).then((line) => this.#history.note(line));
        return;
      }
    }
  }

  /** The workload saw `node` acknowledge a write: crash it now if a crash was armed. */
  acknowledged(node: SimNode): void {
    const downtime = this.#crashOnAck.get(node);
    if (downtime === undefined || this.#healed) return;
    this.#crashOnAck.delete(node);
    this.#crash(node, downtime);
  }

  #crash(node: SimNode, downtimeMs: number): void {
    if (node.state === 'down') return;
    this.#history.note(`fault crash ${node.id}, back in ${downtimeMs} ms`);
    node.crash();
    this.#restarts++;
    this.#clock.setTimeout(() => void this.startNode(node), downtimeMs);
  }

  /** Ends every fault now: partitions, loss, full disks, EIO, short writes. */
  healAll(): void {
    this.#healed = true;
    this.#crashOnAck.clear();
    this.#network.heal();
    for (const node of this.#nodes) {
      this.#setLoss(node, 0);
      Object.assign(node.disk.faults, { full: false, eioRate: 0, shortWriteRate: 0 });
      Object.assign(node.store.faults, { full: false, eioRate: 0 });
    }
  }

  restartDownNodes(): Promise<unknown> {
    return Promise.all(this.#nodes.filter((n) => n.state === 'down').map((n) => this.startNode(n)));
  }

  counts(): Record<string, number> {
    const counts: Record<string, number> = {
      crashes: this.#restarts,
      'failed opens': this.#failedOpens,
    };
    for (const node of this.#nodes) {
      for (const [k, v] of Object.entries(node.disk.injected))
        counts[`index ${k}`] = (counts[`index ${k}`] ?? 0) + v;
      for (const [k, v] of Object.entries(node.store.injected))
        counts[`store ${k}`] = (counts[`store ${k}`] ?? 0) + v;
    }
    return counts;
  }

  #setLoss(node: SimNode, lossRate: number): void {
    for (const other of this.#nodes) {
      if (other === node) continue;
      const key = `${node.address}|${other.address}`;
      if (lossRate === 0 && !this.#lossyLinks.has(key)) continue;
      this.#network.setLink(node.address, other.address, { lossRate });
      if (lossRate === 0) this.#lossyLinks.delete(key);
      else this.#lossyLinks.add(key);
    }
  }
}

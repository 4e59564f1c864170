/**
 * Resync: brings this node's copies in line with placement (issue 12), after every change of who is
 * in, up or out, and periodically (`resyncEveryMs`). The pattern is Garage's block resync: each node
 * scans its own entries and fixes only its own side.
 *
 * - A file this node is a target of whose body is missing: pulled, through the bounded transfer
 *   queue (pull-queue.ts). A stand-in for a down target never pulls: it keeps the hinted copy an
 *   upload pushed to it, so a node that goes down moves no body before it is out.
 * - A copy held here that placement no longer wants, not even as a stand-in (a surplus copy: the
 *   target it stood in for is back, this node was drained, or a newcomer outranks it):
 *   offload-then-drop. Every target is asked whether it holds its own verified copy of that version
 *   (`holds`, batched per target); only when all of them say so, at two scans at least
 *   `dropDelayMs` apart, is the copy deleted and this node's holder slot announced empty. A target that is down, slow or without its copy resets the delay. Nothing is
 *   dropped while the brake holds. So rebalancing never lowers a file's confirmed copy count.
 * - Gauges, cluster-wide as this node's index knows them from holder slots: live files missing a
 *   copy on one of their targets, and copies held by nodes placement no longer wants.
 */
import { z } from 'zod';
import type { Clock, PeerInfo, Transport } from '@dfs/transport';
import { ReplicationError, errorCode } from './errors.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import type { Lifecycle, ReplicationLogger } from './lifecycle.js';
import type { PlacementView } from './placement-view.js';
import type { ReplicationCounters } from './stats.js';
import { fetchHeaderSchema } from './wire.js';

export const HOLDS_PROTOCOL = 'dfs/repl/holds/1';
/** Versions asked about in one `holds` request. */
export const MAX_HOLDS_PER_REQUEST = 512;
/** `holds` requests in flight at once from one scan. */
const CONFIRM_CONCURRENCY = 4;

const holdsRequestSchema = z.object({
  items: z.array(fetchHeaderSchema).max(MAX_HOLDS_PER_REQUEST),
});
const holdsResponseSchema = z.object({ holds: z.array(z.boolean()).max(MAX_HOLDS_PER_REQUEST) });

export interface PlacementGauges {
  underReplicatedFiles: number;
  surplusCopies: number;
  rebalancePaused: number;
}

export interface ResyncOptions {
  nodeId: string;
  index: FileIndex;
  placement: PlacementView;
  transport: Transport;
  /** Live peers, without this node. */
  livePeers: () => PeerInfo[];
  /** Queues a background pull (skipped unless placement wants the body here). */
  schedulePull: (entry: IndexEntry) => void;
  /** Ids of the nodes `entry`'s holder slots say hold its version, this node included if local. */
  holdingNodes: (entry: IndexEntry) => readonly string[];
  /** Drops this node's copy of `entry` (its slot emptied and announced, then its bytes deleted). */
  drop: (entry: IndexEntry) => Promise<boolean>;
  clock: Clock;
  counters: ReplicationCounters;
  lifecycle: Lifecycle;
  log: ReplicationLogger;
  dropDelayMs: number;
  /** Deadline of one `holds` request. */
  confirmTimeoutMs: number;
  /** Housekeeping rounds start a scan only when this long has passed since the last one. */
  scanEveryMs: number;
}

/**
 * How often housekeeping rescans (membership changes rescan at once): a scan ranks every live entry
 * (~10 µs each at 100 members), so at most once a minute, but often enough that a surplus copy is
 * dropped at most a quarter of the drop delay late, and no more often than anti-entropy runs.
 */
export function resyncEveryMs(dropDelayMs: number, antiEntropyIntervalMs: number): number {
  return Math.max(antiEntropyIntervalMs, Math.min(60_000, Math.floor(dropDelayMs / 4)));
}

export class Resync {
  readonly #options: ResyncOptions;
  /** When every target first confirmed a surplus copy, by `version\0name`. */
  readonly #confirmedAt = new Map<string, number>();
  #gauges: PlacementGauges = { underReplicatedFiles: 0, surplusCopies: 0, rebalancePaused: 0 };
  #running: Promise<void> | undefined;
  #again = false;
  #lastScanAt = Number.NEGATIVE_INFINITY;

  constructor(options: ResyncOptions) {
    this.#options = options;
  }

  get gauges(): PlacementGauges {
    return this.#gauges;
  }

  register(): void {
    this.#options.transport.handle(HOLDS_PROTOCOL, (message) => this.#answerHolds(message));
  }

  unregister(): void {
    this.#options.transport.unhandle(HOLDS_PROTOCOL);
  }

  /** A housekeeping round: scans only when `scanEveryMs` passed since the last scan started. */
  scanIfDue(): Promise<void> | undefined {
    if (this.#options.clock.now() - this.#lastScanAt < this.#options.scanEveryMs) return undefined;
    return this.requestScan();
  }

  /** Runs a scan now, or once more after the one running. Resolves when no scan is left to run. */
  requestScan(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.#again = false;
          await this.#scan();
        } while (this.#again && this.#options.lifecycle.running);
      } finally {
        this.#running = undefined;
      }
    };
    this.#running = run();
    return this.#running;
  }

  async #scan(): Promise<void> {
    const { index, placement, nodeId, lifecycle, clock } = this.#options;
    if (!lifecycle.running) return;
    this.#lastScanAt = clock.now();
    let under = 0;
    let surplusCopies = 0;
    const surplus: IndexEntry[] = [];
    for (const entry of index.committedEntries()) {
      if (entry.deleted) continue;
      const targets = placement.targets(entry.name);
      const wanted = placement.holders(entry.name);
      if (!entry.local && targets.includes(nodeId)) this.#options.schedulePull(entry);
      if (entry.local && !wanted.includes(nodeId)) surplus.push(entry);
      const holding = this.#options.holdingNodes(entry);
      if (targets.some((t) => !holding.includes(t))) under++;
      // A node that is down cannot drop its copy (and an out node's copy may be all that is left of
      // a file if others fail): only copies on up nodes count as surplus.
      for (const id of holding) if (!wanted.includes(id) && placement.isUp(id)) surplusCopies++;
    }
    this.#gauges = {
      underReplicatedFiles: under,
      surplusCopies,
      rebalancePaused: placement.paused ? 1 : 0,
    };
    const seen = new Set(surplus.map((e) => confirmKey(e)));
    for (const key of this.#confirmedAt.keys()) if (!seen.has(key)) this.#confirmedAt.delete(key);
    if (placement.paused || surplus.length === 0) return;
    const confirmed = await this.#confirm(surplus);
    const now = this.#options.clock.now();
    for (const entry of surplus) {
      const key = confirmKey(entry);
      if (!confirmed.has(key)) {
        this.#confirmedAt.delete(key);
        continue;
      }
      const first = this.#confirmedAt.get(key);
      if (first === undefined) this.#confirmedAt.set(key, now);
      else if (now - first >= this.#options.dropDelayMs) await this.#drop(entry);
    }
  }

  /** The keys of the surplus copies every target of which confirmed holding its own copy. */
  async #confirm(surplus: readonly IndexEntry[]): Promise<Set<string>> {
    const { placement, livePeers } = this.#options;
    const peers = new Map(livePeers().map((p) => [p.id, p]));
    const pending = new Map<string, number>(); // key → confirmations still needed
    const asks = new Map<string, IndexEntry[]>(); // target → entries to ask it about
    for (const entry of surplus) {
      const targets = placement.targets(entry.name);
      if (targets.length === 0 || targets.some((t) => !peers.has(t) || !placement.isUp(t))) {
        continue;
      }
      pending.set(confirmKey(entry), targets.length);
      for (const target of targets) {
        const list = asks.get(target) ?? [];
        list.push(entry);
        asks.set(target, list);
      }
    }
    const batches: { peer: PeerInfo; entries: IndexEntry[] }[] = [];
    for (const [target, entries] of asks) {
      for (let i = 0; i < entries.length; i += MAX_HOLDS_PER_REQUEST) {
        batches.push({
          peer: peers.get(target)!,
          entries: entries.slice(i, i + MAX_HOLDS_PER_REQUEST),
        });
      }
    }
    const run = async (): Promise<void> => {
      for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
        const holds = await this.#ask(batch.peer, batch.entries);
        batch.entries.forEach((entry, i) => {
          const key = confirmKey(entry);
          const left = pending.get(key);
          if (left !== undefined && holds[i] === true) pending.set(key, left - 1);
        });
      }
    };
    await Promise.all(Array.from({ length: CONFIRM_CONCURRENCY }, run));
    const confirmed = new Set<string>();
    for (const [key, left] of pending) if (left === 0) confirmed.add(key);
    return confirmed;
  }

  /** Asks `peer` which of `entries`' versions it holds; a failure counts as "not held". */
  async #ask(peer: PeerInfo, entries: readonly IndexEntry[]): Promise<boolean[]> {
    const { transport, confirmTimeoutMs, counters, log } = this.#options;
    const items = entries.map((e) => ({ name: e.name, version: e.version }));
    try {
      const reply = await transport.request(
        peer.address,
        HOLDS_PROTOCOL,
        { items },
        {
          timeoutMs: confirmTimeoutMs,
        },
      );
      const parsed = holdsResponseSchema.safeParse(reply);
      if (!parsed.success || parsed.data.holds.length !== items.length) {
        counters.invalidMessages++;
        return [];
      }
      return parsed.data.holds;
    } catch (error) {
      log.debug({ peer: peer.id, code: errorCode(error) }, 'holds request failed');
      return [];
    }
  }

  async #drop(entry: IndexEntry): Promise<void> {
    const { index, placement, nodeId, counters, log } = this.#options;
    const current = index.get(entry.name);
    if (current?.version !== entry.version || !current.local) return;
    if (placement.paused || placement.holders(entry.name).includes(nodeId)) return;
    this.#confirmedAt.delete(confirmKey(entry));
    try {
      if (!(await this.#options.drop(current))) return;
    } catch (error) {
      log.warn({ name: entry.name, code: errorCode(error) }, 'could not drop a surplus copy');
      return;
    }
    counters.surplusCopiesDropped++;
    counters.rebalanceBytesDropped += current.size;
  }

  /** `holds`: for each (name, version), whether this node durably holds a verified copy of it. */
  #answerHolds(message: unknown): { holds: boolean[] } {
    const parsed = holdsRequestSchema.safeParse(message);
    if (!parsed.success) {
      this.#options.counters.invalidMessages++;
      throw new ReplicationError('ERR_INVALID_NAME', 'invalid holds request');
    }
    const { index } = this.#options;
    return {
      holds: parsed.data.items.map(({ name, version }) => {
        const entry = index.committed(name);
        return entry?.version === version && entry.local && index.get(name)?.local === true;
      }),
    };
  }
}

function confirmKey(entry: IndexEntry): string {
  return `${entry.version}\u0000${entry.name}`;
}

import type { Clock, HandlerContext, PeerInfo, Random, Timer, Transport } from '@dfs/transport';
import { systemClock, systemRandom } from '@dfs/transport';
import { ANTI_ENTROPY_DEFAULTS } from './defaults.js';
import { packDigests } from './digest-codec.js';
import type { BucketDigest, BucketRef } from './digest-tree.js';
import { childrenOf, isValidBucket } from './digest-tree.js';
import { GossipError } from './errors.js';
import { selectPeers } from './peer-selection.js';
import { positiveInteger } from './positive-integer.js';
import type { ReconcileEntry, Reconciler } from './reconciler.js';
import type { SyncLimits, SyncResult } from './sync-session.js';
import { entryBytes, pullFromPeer } from './sync-session.js';
import type { EntriesResponse, SyncRequest } from './wire.js';
import { syncRequestSchema } from './wire.js';

export interface AntiEntropyOptions {
  /** Only what anti-entropy needs of a transport: requests and a handler. */
  transport: Pick<Transport, 'id' | 'request' | 'handle' | 'unhandle'>;
  /** The membership view: live peers excluding this node. */
  peers: () => readonly PeerInfo[];
  reconciler: Reconciler;
  /** Names the reconciled state; nodes reconcile only states of the same name. */
  name?: string;
  clock?: Clock;
  random?: Random;
  intervalMs?: number;
  leafEntries?: number;
  maxBucketsPerRequest?: number;
  maxEntryBytesPerRound?: number;
  requestTimeoutMs?: number;
}

export interface AntiEntropyStats {
  rounds: number;
  equalRounds: number;
  failedRounds: number;
  entriesPulled: number;
  entriesServed: number;
  requestsServed: number;
  invalidMessages: number;
}

/**
 * Pull anti-entropy: every interval, reconcile the local state with one random live peer by comparing
 * hierarchical digests and pulling the entries that differ. Also answers peers' requests. This, not
 * rumors, is what guarantees convergence after loss, partitions, restarts and late joins.
 */
export class AntiEntropy {
  readonly protocol: string;
  readonly #transport: AntiEntropyOptions['transport'];
  readonly #peers: () => readonly PeerInfo[];
  readonly #reconciler: Reconciler;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #intervalMs: number;
  readonly #requestTimeoutMs: number;
  readonly #limits: SyncLimits;
  readonly #stats: AntiEntropyStats = {
    rounds: 0,
    equalRounds: 0,
    failedRounds: 0,
    entriesPulled: 0,
    entriesServed: 0,
    requestsServed: 0,
    invalidMessages: 0,
  };
  #timer: Timer | undefined;
  #running = false;
  /** Aborts in-flight requests on stop(). */
  #abort = new AbortController();
  /** The round in progress, so rounds never overlap and stop() can wait for it. */
  #inFlight: Promise<unknown> | undefined;

  constructor(options: AntiEntropyOptions) {
    this.#transport = options.transport;
    this.#peers = options.peers;
    this.#reconciler = options.reconciler;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    const d = ANTI_ENTROPY_DEFAULTS;
    this.#intervalMs = positiveInteger('intervalMs', options.intervalMs ?? d.intervalMs);
    this.#requestTimeoutMs = positiveInteger(
      'requestTimeoutMs',
      options.requestTimeoutMs ?? d.requestTimeoutMs,
    );
    this.#limits = {
      leafEntries: positiveInteger('leafEntries', options.leafEntries ?? d.leafEntries),
      maxBucketsPerRequest: positiveInteger(
        'maxBucketsPerRequest',
        options.maxBucketsPerRequest ?? d.maxBucketsPerRequest,
      ),
      maxEntryBytesPerRound: positiveInteger(
        'maxEntryBytesPerRound',
        options.maxEntryBytesPerRound ?? d.maxEntryBytesPerRound,
      ),
    };
    const name = options.name ?? 'default';
    if (!/^[\w.-]{1,64}$/.test(name)) {
      throw new GossipError('ERR_INVALID_OPTION', 'name must be 1..64 of [A-Za-z0-9_.-]');
    }
    this.protocol = d.protocolPrefix + name;
  }

  get running(): boolean {
    return this.#running;
  }

  /** Answers peers' requests and starts periodic rounds. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#abort = new AbortController();
    this.#transport.handle(this.protocol, (message, context) => this.#serve(message, context));
    this.#timer = this.#clock.setInterval(() => {
      if (this.#inFlight === undefined) void this.syncRound().catch(() => undefined);
    }, this.#intervalMs);
  }

  /** Stops rounds and answering, aborts requests in flight and waits for the round to end. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#transport.unhandle(this.protocol);
    this.#abort.abort(new GossipError('ERR_STOPPED', 'anti-entropy stopped'));
    await this.#inFlight?.catch(() => undefined);
  }

  /** One round with a random live peer; undefined when the view is empty. */
  async syncRound(): Promise<SyncResult | undefined> {
    const [peer] = selectPeers(this.#random, this.#peers(), 1, this.#transport.id);
    if (!peer) return undefined;
    return this.syncWith(peer);
  }

  /** Pulls from `peer` whatever differs. Rejects with the transport's or a GossipError. */
  async syncWith(peer: PeerInfo): Promise<SyncResult> {
    if (!this.#running) throw new GossipError('ERR_STOPPED', 'anti-entropy is not running');
    while (this.#inFlight) await this.#inFlight.catch(() => undefined);
    const signal = this.#abort.signal;
    const round = pullFromPeer(
      peer,
      this.#reconciler,
      (request) =>
        this.#transport.request(peer.address, this.protocol, request, {
          signal,
          timeoutMs: this.#requestTimeoutMs,
        }),
      this.#limits,
    );
    this.#inFlight = round;
    this.#stats.rounds++;
    try {
      const result = await round;
      if (result.equal) this.#stats.equalRounds++;
      this.#stats.entriesPulled += result.entriesPulled;
      return result;
    } catch (error) {
      this.#stats.failedRounds++;
      throw error;
    } finally {
      this.#inFlight = undefined;
    }
  }

  stats(): AntiEntropyStats {
    return { ...this.#stats };
  }

  /** Responder side. Malformed requests are refused with ERR_INVALID_MESSAGE and touch no state. */
  async #serve(message: unknown, context: HandlerContext): Promise<unknown> {
    const parsed = syncRequestSchema.safeParse(message);
    if (!parsed.success || !validBuckets(parsed.data)) {
      this.#stats.invalidMessages++;
      throw new GossipError('ERR_INVALID_MESSAGE', 'malformed anti-entropy request');
    }
    this.#stats.requestsServed++;
    const request = parsed.data;
    switch (request.op) {
      case 'root':
        return { digests: packDigests([this.#reconciler.digest({ depth: 0, index: 0 })]) };
      case 'children': {
        const digests: BucketDigest[] = [];
        for (const index of request.parents) {
          for (const child of childrenOf({ depth: request.depth, index })) {
            digests.push(this.#reconciler.digest(child));
          }
        }
        return { digests: packDigests(digests) };
      }
      case 'entries':
        return this.#serveEntries(
          request.buckets.map(([depth, index]) => ({ depth, index })),
          Math.min(request.maxBytes, this.#limits.maxEntryBytesPerRound),
          context.signal,
        );
    }
  }

  /** Entries bucket by bucket until the byte budget runs out, so a huge state is never sent whole. */
  async #serveEntries(
    buckets: readonly BucketRef[],
    maxBytes: number,
    signal: AbortSignal,
  ): Promise<EntriesResponse> {
    const entries: ReconcileEntry[] = [];
    let bytes = 0;
    for (const bucket of buckets) {
      if (signal.aborted) break;
      for (const entry of await this.#reconciler.entriesIn([bucket])) {
        const size = entryBytes(entry);
        // Always send at least one entry, so a single entry larger than the budget still moves.
        if (bytes + size > maxBytes && entries.length > 0) {
          this.#stats.entriesServed += entries.length;
          return { entries, truncated: true };
        }
        entries.push({ key: entry.key, value: entry.value });
        bytes += size;
      }
    }
    this.#stats.entriesServed += entries.length;
    return { entries, truncated: false };
  }
}

function validBuckets(request: SyncRequest): boolean {
  switch (request.op) {
    case 'root':
      return true;
    case 'children':
      return request.parents.every((index) => isValidBucket({ depth: request.depth, index }));
    case 'entries':
      return request.buckets.every(([depth, index]) => isValidBucket({ depth, index }));
  }
}

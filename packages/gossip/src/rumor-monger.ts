import { createHash } from 'node:crypto';
import type { Clock, PeerInfo, Random, Timer, Transport } from '@dfs/transport';
import { randomInt, systemClock, systemRandom } from '@dfs/transport';
import { DedupCache } from './dedup-cache.js';
import { RUMOR_DEFAULTS } from './defaults.js';
import { GossipError } from './errors.js';
import { positiveInteger } from './positive-integer.js';
import { randomMessageId, selectPeers } from './peer-selection.js';
import { RetransmitQueue, retransmitLimit } from './retransmit-queue.js';
import type { Rumor } from './wire.js';
import {
  MAX_ID_LENGTH,
  MAX_TOPIC_LENGTH,
  rumorBytes,
  rumorListSchema,
  rumorPacketSchema,
} from './wire.js';

/** Bytes of a packet besides its rumors (map header, key, array header); an over-estimate. */
const PACKET_OVERHEAD_BYTES = 16;

export interface RumorMongerOptions {
  /** Only what rumor mongering needs of a transport: one-way sends and a handler. */
  transport: Pick<Transport, 'id' | 'send' | 'handle' | 'unhandle'>;
  /** The membership view: live peers excluding this node. Called once per gossip round. */
  peers: () => readonly PeerInfo[];
  clock?: Clock;
  random?: Random;
  fanout?: number;
  gossipIntervalMs?: number;
  retransmitMultiplier?: number;
  maxPacketBytes?: number;
  maxPayloadBytes?: number;
  dedupCapacity?: number;
  maxQueuedRumors?: number;
  protocol?: string;
}

export interface ReceivedRumor {
  readonly id: string;
  readonly topic: string;
  readonly payload: Uint8Array;
  /** The peer that handed us this copy (not necessarily the originator). */
  readonly from: PeerInfo;
}

/**
 * Called once per new rumor id on its topic. Return `false` when the message is not news to you (e.g.
 * an update older than your state): it is then not gossiped further. Anything else spreads it.
 */
export type RumorHandler = (rumor: ReceivedRumor) => boolean | void;

export interface BroadcastOptions {
  /** Message id; random by default. Reusing an id another node has seen makes it a duplicate. */
  id?: string;
  /** A queued rumor broadcast with the same key is replaced: only the newest update spreads. */
  key?: string;
}

export interface RumorStats {
  broadcasts: number;
  /** Rumors received for the first time, whether delivered to a handler or only relayed. */
  received: number;
  duplicates: number;
  /** Rumors a handler declined (returned false) or threw on; they were not re-gossiped. */
  declined: number;
  /** Handler calls that threw (the rumor counts as declined: a broken handler must not amplify). */
  handlerErrors: number;
  invalidMessages: number;
  packetsSent: number;
  rumorsSent: number;
  sendFailures: number;
  piggybacked: number;
  queued: number;
}

/**
 * Rumor mongering: every round, queued rumors go to `fanout` random live peers; each rumor is sent a
 * bounded number of times that grows with log N; receivers drop ids they have seen and re-gossip the
 * new ones. Other components can carry queued rumors on their own messages (`takePiggyback`).
 */
export class RumorMonger {
  readonly #transport: RumorMongerOptions['transport'];
  readonly #peers: () => readonly PeerInfo[];
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #fanout: number;
  readonly #intervalMs: number;
  readonly #multiplier: number;
  readonly #maxPacketBytes: number;
  readonly #maxPayloadBytes: number;
  readonly #protocol: string;
  /**
   * Derived from the node id and prefixed to generated message ids, so two nodes given identically
   * seeded `Random`s (easy to do in tests and simulations) still never mint the same id.
   */
  readonly #idPrefix: string;
  readonly #seen: DedupCache;
  readonly #queue: RetransmitQueue<Rumor>;
  readonly #handlers = new Map<string, Set<RumorHandler>>();
  readonly #stats: Omit<RumorStats, 'queued'> = {
    broadcasts: 0,
    received: 0,
    duplicates: 0,
    declined: 0,
    handlerErrors: 0,
    invalidMessages: 0,
    packetsSent: 0,
    rumorsSent: 0,
    sendFailures: 0,
    piggybacked: 0,
  };
  #timers: Timer[] = [];
  #running = false;

  constructor(options: RumorMongerOptions) {
    this.#transport = options.transport;
    this.#peers = options.peers;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? systemRandom;
    this.#fanout = positiveInteger('fanout', options.fanout ?? RUMOR_DEFAULTS.fanout);
    this.#intervalMs = positiveInteger(
      'gossipIntervalMs',
      options.gossipIntervalMs ?? RUMOR_DEFAULTS.gossipIntervalMs,
    );
    this.#multiplier = positiveInteger(
      'retransmitMultiplier',
      options.retransmitMultiplier ?? RUMOR_DEFAULTS.retransmitMultiplier,
    );
    this.#maxPacketBytes = positiveInteger(
      'maxPacketBytes',
      options.maxPacketBytes ?? RUMOR_DEFAULTS.maxPacketBytes,
    );
    this.#maxPayloadBytes = positiveInteger(
      'maxPayloadBytes',
      options.maxPayloadBytes ?? RUMOR_DEFAULTS.maxPayloadBytes,
    );
    const largest = this.#maxPayloadBytes + MAX_ID_LENGTH + MAX_TOPIC_LENGTH + 64;
    if (largest + PACKET_OVERHEAD_BYTES > this.#maxPacketBytes) {
      throw new GossipError(
        'ERR_INVALID_OPTION',
        `maxPacketBytes (${this.#maxPacketBytes}) must hold a rumor of maxPayloadBytes (${this.#maxPayloadBytes}) with its envelope`,
      );
    }
    this.#seen = new DedupCache(options.dedupCapacity ?? RUMOR_DEFAULTS.dedupCapacity);
    this.#queue = new RetransmitQueue(options.maxQueuedRumors ?? RUMOR_DEFAULTS.maxQueuedRumors);
    this.#protocol = options.protocol ?? RUMOR_DEFAULTS.protocol;
    this.#idPrefix = createHash('sha256').update(this.#transport.id).digest('hex').slice(0, 8);
  }

  get running(): boolean {
    return this.#running;
  }

  /** Registers the packet handler and starts gossip rounds (the first after a random fraction of
   * an interval, so nodes started together do not gossip in lockstep). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#transport.handle(this.#protocol, (message, context) => {
      this.#receivePacket(message, context.peer);
    });
    const first = this.#clock.setTimeout(
      () => {
        this.gossipRound();
        this.#timers.push(this.#clock.setInterval(() => this.gossipRound(), this.#intervalMs));
      },
      randomInt(this.#random, this.#intervalMs),
    );
    this.#timers.push(first);
  }

  /** Stops rounds and unregisters the handler. Queued rumors are kept until `start` or discarded. */
  stop(): void {
    if (!this.#running) return;
    this.#running = false;
    for (const timer of this.#timers) timer.cancel();
    this.#timers = [];
    this.#transport.unhandle(this.#protocol);
  }

  /** Queues a rumor for spreading and returns its id. Works before `start` (it waits in the queue). */
  broadcast(topic: string, payload: Uint8Array, options: BroadcastOptions = {}): string {
    const id = options.id ?? this.#idPrefix + randomMessageId(this.#random);
    if (id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new GossipError('ERR_INVALID_OPTION', `id must be 1..${MAX_ID_LENGTH} characters`);
    }
    if (topic.length === 0 || topic.length > MAX_TOPIC_LENGTH) {
      throw new GossipError(
        'ERR_INVALID_OPTION',
        `topic must be 1..${MAX_TOPIC_LENGTH} characters`,
      );
    }
    if (payload.byteLength > this.#maxPayloadBytes) {
      throw new GossipError(
        'ERR_TOO_LARGE',
        `payload of ${payload.byteLength} bytes exceeds maxPayloadBytes (${this.#maxPayloadBytes})`,
      );
    }
    this.#seen.add(id);
    const rumor: Rumor = { id, topic, payload };
    this.#queue.push({ value: rumor, bytes: rumorBytes(rumor), key: options.key });
    this.#stats.broadcasts++;
    return id;
  }

  /** Calls `handler` for every new rumor on `topic`; returns the unsubscribe function. */
  subscribe(topic: string, handler: RumorHandler): () => void {
    let set = this.#handlers.get(topic);
    if (!set) {
      set = new Set();
      this.#handlers.set(topic, set);
    }
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.#handlers.get(topic) === set) this.#handlers.delete(topic);
    };
  }

  /**
   * Queued rumors fitting in `maxBytes` (estimated encoded size), for another component to carry on
   * its own message. Each counts as one transmission, exactly as if sent in a gossip round.
   */
  takePiggyback(maxBytes: number): Rumor[] {
    const rumors = this.#queue.take(maxBytes, this.#currentLimit());
    this.#stats.piggybacked += rumors.length;
    return rumors;
  }

  /**
   * Processes rumors that arrived piggybacked on another component's message. `items` is validated
   * here; returns how many were new. Invalid input is counted and ignored as a whole.
   */
  receivePiggyback(items: unknown, from: PeerInfo): number {
    const parsed = rumorListSchema.safeParse(items);
    if (!parsed.success) {
      this.#stats.invalidMessages++;
      return 0;
    }
    return this.#receiveRumors(parsed.data, from);
  }

  /** One gossip round now: queued rumors to `fanout` random peers. Rounds also run on the timer. */
  gossipRound(): void {
    if (this.#queue.length === 0) return;
    const view = this.#peers();
    if (view.length === 0) return;
    const targets = selectPeers(this.#random, view, this.#fanout, this.#transport.id);
    const limit = retransmitLimit(this.#multiplier, view.length + 1);
    for (const target of targets) {
      const rumors = this.#queue.take(this.#maxPacketBytes - PACKET_OVERHEAD_BYTES, limit);
      if (rumors.length === 0) break;
      this.#stats.packetsSent++;
      this.#stats.rumorsSent += rumors.length;
      this.#transport.send(target.address, this.#protocol, { rumors }).catch(() => {
        // A lost packet is what retransmission and anti-entropy exist for; count it only.
        this.#stats.sendFailures++;
      });
    }
  }

  stats(): RumorStats {
    return { ...this.#stats, queued: this.#queue.length };
  }

  #currentLimit(): number {
    return retransmitLimit(this.#multiplier, this.#peers().length + 1);
  }

  #receivePacket(message: unknown, from: PeerInfo): void {
    const parsed = rumorPacketSchema.safeParse(message);
    if (!parsed.success) {
      this.#stats.invalidMessages++;
      return;
    }
    this.#receiveRumors(parsed.data.rumors, from);
  }

  #receiveRumors(rumors: readonly Rumor[], from: PeerInfo): number {
    let fresh = 0;
    for (const rumor of rumors) {
      if (rumor.payload.byteLength > this.#maxPayloadBytes) {
        this.#stats.invalidMessages++;
        continue;
      }
      if (!this.#seen.add(rumor.id)) {
        this.#stats.duplicates++;
        continue;
      }
      fresh++;
      this.#stats.received++;
      if (this.#deliver(rumor, from)) {
        this.#queue.push({ value: rumor, bytes: rumorBytes(rumor), key: undefined });
      } else {
        this.#stats.declined++;
      }
    }
    return fresh;
  }

  /** Runs the topic's handlers; the rumor spreads on unless one declines or throws. */
  #deliver(rumor: Rumor, from: PeerInfo): boolean {
    const handlers = this.#handlers.get(rumor.topic);
    if (!handlers) return true;
    let spread = true;
    const received: ReceivedRumor = { ...rumor, from };
    for (const handler of [...handlers]) {
      try {
        if (handler(received) === false) spread = false;
      } catch {
        this.#stats.handlerErrors++;
        spread = false;
      }
    }
    return spread;
  }
}

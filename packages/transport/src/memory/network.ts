import type { Clock } from '../clock.js';
import type { Random } from '../random.js';
import { DeliveryQueue } from './delivery-queue.js';
import { MemoryTransport, type MemoryTransportOptions } from './transport.js';
import type { MemoryWire, TransmitOutcome } from './wire.js';

export type { TransmitOutcome } from './wire.js';

/** Conditions of one direction of a link; unset fields fall back to the network's defaults. */
export interface LinkConditions {
  /** One-way delay in ms. */
  latencyMs?: number;
  /** Extra uniformly random delay in [0, jitterMs); order on a link is still preserved. */
  jitterMs?: number;
  /** Probability in [0, 1] that a one-way message, request or response is lost (streams are reliable). */
  lossRate?: number;
  /** Link capacity; messages queue behind each other when exceeded. */
  bandwidthBytesPerSec?: number;
}

export interface MemoryNetworkOptions extends LinkConditions {
  clock: Clock;
  random: Random;
  /**
   * Default false: every receiver gets its own decoded copy of a message, exactly as over TCP.
   * True: messages are still encoded at the sender (so size accounting and unencodable-value errors
   * are unchanged) but the receiver gets the sender's value itself, never decoded. For simulations
   * whose code never mutates a message after sending it or on receipt: decoding millions of small
   * messages, and the garbage it makes, is most of what a large simulation otherwise spends.
   */
  shareValues?: boolean;
  /**
   * Default true. With `shareValues`, false also skips that encoding: messages count as 0 bytes in
   * `stats().bytes` and against bandwidth limits, and a value msgpack cannot encode is not refused.
   * For simulations that report no byte counts. Without `shareValues` it changes nothing (the copy
   * is made by encoding).
   */
  measureBytes?: boolean;
}

/** Counters for the whole network, for simulator reports. */
export interface MemoryNetworkStats {
  delivered: number;
  dropped: number;
  bytes: number;
  inFlight: number;
}

/** Per-direction link state, created only for links that need ordering or bandwidth accounting. */
interface LinkState {
  /** When the link finishes transmitting what is already queued on it. */
  busyUntil: number;
  /** Latest scheduled arrival: later sends never arrive before it (links are FIFO). */
  lastArrival: number;
}

interface Partition {
  a: ReadonlySet<string>;
  b: ReadonlySet<string>;
}

/**
 * Per-direction link data, nested by sender then receiver: looking a link up allocates nothing,
 * which matters at hundreds of thousands of messages per run.
 */
class LinkTable<T> {
  readonly #bySender = new Map<string, Map<string, T>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(from: string, to: string): T | undefined {
    return this.#bySender.get(from)?.get(to);
  }

  set(from: string, to: string, value: T): void {
    let byReceiver = this.#bySender.get(from);
    if (byReceiver === undefined) {
      byReceiver = new Map();
      this.#bySender.set(from, byReceiver);
    }
    if (!byReceiver.has(to)) this.#size++;
    byReceiver.set(to, value);
  }
}

/**
 * Many transports in one process, connected through virtual links. Every delivery waits on the
 * injected clock, so with a `VirtualClock` nothing arrives until the test or simulator advances it.
 *
 * Failure model: `kill(address)` is a crashed process — its peers see the connection drop and new
 * traffic is refused (`ERR_UNREACHABLE`). `partition()` and `isolate()` are a silent network —
 * messages vanish, requests time out, and open streams across the cut are reset.
 */
export class MemoryNetwork implements MemoryWire<MemoryTransport> {
  readonly clock: Clock;
  readonly random: Random;
  /** See `MemoryNetworkOptions.shareValues`. */
  readonly shareValues: boolean;
  /** See `MemoryNetworkOptions.measureBytes`. */
  readonly measureBytes: boolean;
  readonly #defaults: Required<LinkConditions>;
  readonly #queue: DeliveryQueue;
  readonly #transports = new Map<string, MemoryTransport>();
  readonly #killed = new Set<string>();
  readonly #isolated = new Set<string>();
  readonly #links = new LinkTable<LinkConditions>();
  readonly #linkStates = new LinkTable<LinkState>();
  #partitions: Partition[] = [];
  #stats = { delivered: 0, dropped: 0, bytes: 0 };

  constructor(options: MemoryNetworkOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.shareValues = options.shareValues ?? false;
    this.measureBytes = options.measureBytes ?? true;
    this.#defaults = {
      latencyMs: options.latencyMs ?? 1,
      jitterMs: options.jitterMs ?? 0,
      lossRate: options.lossRate ?? 0,
      bandwidthBytesPerSec: options.bandwidthBytesPerSec ?? Number.POSITIVE_INFINITY,
    };
    this.#queue = new DeliveryQueue(options.clock);
  }

  /** A new transport on this network; it is reachable once `listen()` resolves. */
  createTransport(options: Omit<MemoryTransportOptions, 'network'>): MemoryTransport {
    if (this.#transports.has(options.address)) {
      throw new Error(`address ${options.address} is already taken on this network`);
    }
    const transport = new MemoryTransport({ ...options, network: this });
    this.#transports.set(options.address, transport);
    return transport;
  }

  /** Overrides conditions for traffic between `a` and `b` (both directions unless `oneWay`). */
  setLink(a: string, b: string, conditions: LinkConditions, options?: { oneWay?: boolean }): void {
    this.#links.set(a, b, { ...this.#links.get(a, b), ...conditions });
    if (options?.oneWay !== true) {
      this.#links.set(b, a, { ...this.#links.get(b, a), ...conditions });
    }
  }

  /** Nothing crosses between `groupA` and `groupB` until `heal()`. */
  partition(groupA: Iterable<string>, groupB: Iterable<string>): void {
    const partition = { a: new Set(groupA), b: new Set(groupB) };
    this.#partitions.push(partition);
    this.#resetStreamsWhere((x, y) => this.#cut(partition, x, y));
  }

  /** Cuts `address` off from everyone (it keeps running). */
  isolate(address: string): void {
    this.#isolated.add(address);
    this.#resetStreamsWhere((x, y) => x === address || y === address);
  }

  /** Removes every partition and isolation. */
  heal(): void {
    this.#partitions = [];
    this.#isolated.clear();
  }

  /** Crashes the node at `address`: its connections drop and it can neither send nor receive. */
  kill(address: string): void {
    this.#killed.add(address);
    this.#transports.get(address)?.dropAllConnections();
    for (const transport of this.#transports.values()) transport.dropConnection(address);
  }

  /** Brings a killed node back (its transport object is reused, with no connections). */
  revive(address: string): void {
    this.#killed.delete(address);
  }

  isKilled(address: string): boolean {
    return this.#killed.has(address);
  }

  stats(): MemoryNetworkStats {
    return { ...this.#stats, inFlight: this.#queue.size };
  }

  /** Runs `run` after `delayMs` on the network's queue (used for refusals and control replies). */
  after(delayMs: number, run: () => void): void {
    this.#queue.schedule(this.clock.now() + delayMs, run);
  }

  /** One-way latency from `from` to `to` (no jitter, no bandwidth). */
  latency(from: string, to: string): number {
    return this.#links.get(from, to)?.latencyMs ?? this.#defaults.latencyMs;
  }

  /**
   * Sends `size` bytes from `from` to `to` and runs `deliver` at arrival. `reliable` traffic
   * (stream frames) is never lost to `lossRate`; unreliable traffic may be.
   */
  transmit(
    from: string,
    to: string,
    size: number,
    reliable: boolean,
    deliver: (target: MemoryTransport) => void,
  ): TransmitOutcome {
    if (this.#killed.has(from)) return 'dropped';
    const target = this.#transports.get(to);
    if (target === undefined || !target.isListening || this.#killed.has(to)) return 'unreachable';
    if (this.isCut(from, to)) {
      this.#stats.dropped++;
      return 'dropped';
    }
    const link = this.#links.size === 0 ? undefined : this.#links.get(from, to);
    const defaults = this.#defaults;
    const lossRate = link?.lossRate ?? defaults.lossRate;
    if (!reliable && lossRate > 0 && this.random.next() < lossRate) {
      this.#stats.dropped++;
      return 'dropped';
    }
    const now = this.clock.now();
    let arrival = now + (link?.latencyMs ?? defaults.latencyMs);
    const jitter = link?.jitterMs ?? defaults.jitterMs;
    const bandwidth = link?.bandwidthBytesPerSec ?? defaults.bandwidthBytesPerSec;
    if (jitter > 0 || bandwidth !== Number.POSITIVE_INFINITY) {
      let state = this.#linkStates.get(from, to);
      if (state === undefined) {
        state = { busyUntil: now, lastArrival: now };
        this.#linkStates.set(from, to, state);
      }
      if (bandwidth !== Number.POSITIVE_INFINITY) {
        const sent = Math.max(now, state.busyUntil) + (size * 1000) / bandwidth;
        state.busyUntil = sent;
        arrival += sent - now;
      }
      if (jitter > 0) arrival += Math.floor(this.random.next() * jitter);
      arrival = Math.max(arrival, state.lastArrival);
      state.lastArrival = arrival;
    }
    this.#stats.bytes += size;
    // Whole milliseconds: deliveries due together run in one flush instead of one timer each.
    this.#queue.schedule(Math.ceil(arrival), () => {
      // A node that crashed or closed while the bytes were in flight never sees them.
      if (this.#killed.has(to) || !target.isListening || this.#killed.has(from)) {
        this.#stats.dropped++;
        return;
      }
      this.#stats.delivered++;
      deliver(target);
    });
    return 'scheduled';
  }

  /** True when a partition or isolation separates `from` and `to`. */
  isCut(from: string, to: string): boolean {
    if (this.#isolated.size > 0 && (this.#isolated.has(from) || this.#isolated.has(to))) {
      return true;
    }
    for (const partition of this.#partitions) {
      if (this.#cut(partition, from, to)) return true;
    }
    return false;
  }

  /** Called by a transport's close(): its address becomes free and unreachable. */
  detach(transport: MemoryTransport): void {
    if (this.#transports.get(transport.address) === transport) {
      this.#transports.delete(transport.address);
    }
    for (const other of this.#transports.values()) other.dropConnection(transport.address);
  }

  #cut(partition: Partition, x: string, y: string): boolean {
    return (partition.a.has(x) && partition.b.has(y)) || (partition.b.has(x) && partition.a.has(y));
  }

  #resetStreamsWhere(separated: (x: string, y: string) => boolean): void {
    for (const transport of this.#transports.values()) {
      transport.resetStreamsWhere((remote) => separated(transport.address, remote));
    }
  }
}

/**
 * The transport as one process life sees it: a `Transport` over the node's `MemoryTransport` (which
 * outlives crashes, like an address does). When the incarnation dies, the handlers it registered
 * are removed and every later call neither sends nor settles, so a dropped engine cannot talk.
 */
import type { Duplex } from 'node:stream';
import type {
  CallOptions,
  MemoryTransport,
  MessageHandler,
  PeerInfo,
  StreamHandler,
  Transport,
  TransportEvents,
} from '@dfs/transport';
import type { Incarnation } from './incarnation.js';
import { never } from './incarnation.js';

export class IncarnationTransport implements Transport {
  readonly #inner: MemoryTransport;
  readonly #life: Incarnation;
  readonly #protocols = new Set<string>();

  constructor(inner: MemoryTransport, life: Incarnation) {
    this.#inner = inner;
    this.#life = life;
  }

  get id(): string {
    return this.#inner.id;
  }

  get address(): string {
    return this.#inner.address;
  }

  /** Called at the crash, before the network drops the node's connections. */
  kill(): void {
    for (const protocol of this.#protocols) this.#inner.unhandle(protocol);
    this.#protocols.clear();
  }

  async listen(): Promise<void> {}

  async close(): Promise<void> {}

  handle(protocol: string, handler: MessageHandler): void {
    if (!this.#life.alive) return;
    this.#protocols.add(protocol);
    this.#inner.handle(protocol, handler);
  }

  handleStream(protocol: string, handler: StreamHandler): void {
    if (!this.#life.alive) return;
    this.#protocols.add(protocol);
    this.#inner.handleStream(protocol, handler);
  }

  unhandle(protocol: string): void {
    if (!this.#life.alive || !this.#protocols.has(protocol)) return;
    this.#protocols.delete(protocol);
    this.#inner.unhandle(protocol);
  }

  send(address: string, protocol: string, message: unknown, options?: CallOptions): Promise<void> {
    if (!this.#life.alive) return never();
    return this.#inner.send(address, protocol, message, options);
  }

  request(
    address: string,
    protocol: string,
    message: unknown,
    options?: CallOptions,
  ): Promise<unknown> {
    if (!this.#life.alive) return never();
    return this.#inner.request(address, protocol, message, options);
  }

  openStream(
    address: string,
    protocol: string,
    header: unknown,
    options?: CallOptions,
  ): Promise<Duplex> {
    if (!this.#life.alive) return never();
    return this.#inner.openStream(address, protocol, header, options);
  }

  connectedPeers(): PeerInfo[] {
    return this.#life.alive ? this.#inner.connectedPeers() : [];
  }

  // The engine subscribes to no transport events; these keep the contract without leaking
  // listeners across lives.
  on<E extends keyof TransportEvents>(
    _event: E,
    _listener: (...args: TransportEvents[E]) => void,
  ): this {
    return this;
  }

  off<E extends keyof TransportEvents>(
    _event: E,
    _listener: (...args: TransportEvents[E]) => void,
  ): this {
    return this;
  }
}

import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { backoffDelay } from '@dfs/base';
import { delay, type Timer } from '../clock.js';
import { TransportEventEmitter } from '../emitter.js';
import { TransportError } from '../errors.js';
import { HandlerRegistry } from '../handlers.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import type { CallOptions, MessageHandler, PeerInfo, StreamHandler, Transport } from '../types.js';
import { formatAddress, parseAddress } from './address.js';
import { PeerConnection, type ConnectionHost, type ConnectionLimits } from './connection.js';
import { newCounters, type TransportCounters, type TransportStats } from './counters.js';
import { HandshakeSlots } from './handshake-slots.js';
import { resolveTcpOptions, type ResolvedTcpOptions, type TcpTransportOptions } from './options.js';

/** Dial failures that retrying cannot fix. */
const PERMANENT_DIAL_FAILURES = new Set([
  'ERR_AUTH',
  'ERR_CLUSTER_MISMATCH',
  'ERR_PROTOCOL_VERSION',
  'ERR_TLS',
  'ERR_TRANSPORT_CLOSED',
  'ERR_TOO_MANY_CONNECTIONS',
  'ERR_TOO_MANY_HANDSHAKES',
]);

/**
 * `Transport` over TCP (optionally TLS): one authenticated, multiplexed connection per peer pair,
 * dialled on demand, deduplicated when both sides dial at once, closed when idle, drained on close.
 */
export class TcpTransport extends TransportEventEmitter implements Transport, ConnectionHost {
  readonly id: string;
  readonly clusterId: string;
  readonly secret: string | undefined;
  readonly clock: ResolvedTcpOptions['clock'];
  readonly handlers = new HandlerRegistry();
  readonly limits: ConnectionLimits;
  readonly counters: TransportCounters = newCounters();
  readonly #options: ResolvedTcpOptions;
  #server: net.Server | undefined;
  #boundPort: number | undefined;
  readonly #connections = new Set<PeerConnection>();
  /** Accepted connections still in their handshake (ours being dialled take no slot). */
  readonly #handshakeSlots: HandshakeSlots<PeerConnection>;
  readonly #warnings: RateLimitedLog;
  /** Routing: the one usable connection per peer id, and the addresses that lead to it. */
  readonly #byPeerId = new Map<string, PeerConnection>();
  readonly #byAddress = new Map<string, PeerConnection>();
  /** Ready connections per peer id, to emit connect on the first and disconnect after the last. */
  readonly #readyCount = new Map<string, number>();
  readonly #dials = new Map<string, Promise<PeerConnection>>();
  readonly #backoff = new Map<string, { failures: number; notBefore: number }>();
  readonly #lifetime = new AbortController();
  /** Sockets of finished connections still saying goodbye (reject frame, FIN). */
  readonly #lingering = new Set<Duplex>();
  #sweeper: Timer | undefined;
  #closed = false;
  #allClosed: (() => void) | undefined;

  constructor(options: TcpTransportOptions) {
    super();
    this.#options = resolveTcpOptions(options);
    const o = this.#options;
    this.id = o.id;
    this.clusterId = o.clusterId;
    this.secret = o.secret;
    this.clock = o.clock;
    this.#handshakeSlots = new HandshakeSlots({
      max: o.maxHandshakes,
      maxPerAddress: o.maxHandshakesPerAddress,
    });
    this.#warnings = new RateLimitedLog(o.logger, o.clock, { intervalMs: o.warnIntervalMs });
    this.limits = {
      maxFrameBytes: o.maxFrameBytes,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      drainTimeoutMs: o.drainTimeoutMs,
      streamWindowBytes: o.streamWindowBytes,
      maxStreamsPerConnection: o.maxStreamsPerConnection,
      maxConcurrentRequestsPerConnection: o.maxConcurrentRequestsPerConnection,
    };
  }

  /** The advertised address: `advertise`, else the bound listen address (known after `listen()`). */
  get address(): string {
    if (this.#options.advertise !== undefined) return this.#options.advertise;
    return formatAddress(this.#options.host, this.#boundPort ?? this.#options.port);
  }

  async listen(): Promise<void> {
    if (this.#closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    this.#startSweeper();
    if (!this.#options.listen || this.#server !== undefined) return;
    const server = this.#createServer();
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#options.port, this.#options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    if (bound !== null && typeof bound === 'object') this.#boundPort = bound.port;
    this.#options.logger.info({ address: this.address }, 'peer transport listening');
  }

  /**
   * Adopts a socket accepted elsewhere (the node's shared HTTP/peer port). `firstBytes` are what
   * the owner already read to sniff the protocol (see `isPeerProtocol`). The socket may already be
   * TLS-terminated by the owner.
   */
  handleConnection(socket: Duplex, firstBytes?: Buffer): void {
    this.#accept(socket, remoteOf(socket), firstBytes);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#lifetime.abort(new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed'));
    this.#sweeper?.cancel();
    // Stop accepting now; sockets we already let go of (rejected ones finishing their goodbye)
    // are destroyed here rather than awaited.
    this.#server?.close();
    for (const socket of this.#lingering) socket.destroy();
    const drained = new Promise<void>((resolve) => {
      this.#allClosed = resolve;
    });
    for (const connection of [...this.#connections]) {
      if (connection.isReady) connection.goAway();
      else connection.destroy(new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed'));
    }
    this.#checkAllClosed();
    await drained;
    this.#warnings.close();
  }

  handle(protocol: string, handler: MessageHandler): void {
    this.handlers.handle(protocol, handler);
  }

  handleStream(protocol: string, handler: StreamHandler): void {
    this.handlers.handleStream(protocol, handler);
  }

  unhandle(protocol: string): void {
    this.handlers.unhandle(protocol);
  }

  async send(
    address: string,
    protocol: string,
    message: unknown,
    options: CallOptions = {},
  ): Promise<void> {
    const connection = await this.#connectionFor(address, options, this.#timeoutOf(options));
    connection.send(protocol, message);
  }

  async request(
    address: string,
    protocol: string,
    message: unknown,
    options: CallOptions = {},
  ): Promise<unknown> {
    const timeoutMs = this.#timeoutOf(options);
    const started = this.clock.now();
    const connection = await this.#connectionFor(address, options, timeoutMs);
    const left = Math.max(1, timeoutMs - (this.clock.now() - started));
    return connection.request(protocol, message, options, left);
  }

  async openStream(
    address: string,
    protocol: string,
    header: unknown,
    options: CallOptions = {},
  ): Promise<Duplex> {
    const timeoutMs = this.#timeoutOf(options);
    const started = this.clock.now();
    const connection = await this.#connectionFor(address, options, timeoutMs);
    const left = Math.max(1, timeoutMs - (this.clock.now() - started));
    return connection.openStream(protocol, header, options, left);
  }

  connectedPeers(): PeerInfo[] {
    const peers: PeerInfo[] = [];
    for (const connection of this.#byPeerId.values()) {
      if (connection.peer !== undefined) peers.push(connection.peer);
    }
    return peers;
  }

  /** Counters for metrics: frames and bytes each way, rejects by reason, connections. */
  stats(): TransportStats {
    let open = 0;
    let handshaking = 0;
    for (const connection of this.#connections) {
      if (connection.isReady) open++;
      else handshaking++;
    }
    return {
      ...this.counters,
      rejects: { ...this.counters.rejects },
      openConnections: open,
      handshaking,
    };
  }

  // ---- ConnectionHost -------------------------------------------------------------------------

  mayEstablish(): boolean {
    return this.#establishedCount() < this.#options.maxConnections;
  }

  connectionReady(connection: PeerConnection): void {
    this.#handshakeSlots.release(connection);
    const peer = connection.peer as PeerInfo;
    const count = (this.#readyCount.get(peer.id) ?? 0) + 1;
    this.#readyCount.set(peer.id, count);
    if (count === 1) {
      this.#options.logger.debug({ peer: peer.id, address: peer.address }, 'peer connected');
      this.emitEvent('connect', peer);
    }
    const existing = this.#byPeerId.get(peer.id);
    if (existing === undefined || existing === connection) {
      this.#route(connection);
      return;
    }
    // Both sides dialled at once. Both ends apply the same rule, so they agree on the survivor:
    // keep the connection dialled by the node with the smaller id; drain the other gracefully.
    const keepNew = (connection.role === 'dialer') === this.id < peer.id;
    if (keepNew) {
      this.#route(connection);
      existing.goAway();
    } else {
      connection.goAway();
    }
  }

  connectionDraining(connection: PeerConnection): void {
    this.#unroute(connection);
  }

  connectionClosed(connection: PeerConnection): void {
    this.#connections.delete(connection);
    this.#handshakeSlots.release(connection);
    const { socket } = connection;
    if (!socket.destroyed) {
      this.#lingering.add(socket);
      socket.once('close', () => this.#lingering.delete(socket));
    }
    this.#unroute(connection);
    const peer = connection.peer;
    if (peer !== undefined && this.#readyCount.has(peer.id) && connection.isClosed) {
      const count = (this.#readyCount.get(peer.id) ?? 1) - 1;
      if (count <= 0) {
        this.#readyCount.delete(peer.id);
        this.#options.logger.debug({ peer: peer.id }, 'peer disconnected');
        this.emitEvent('disconnect', peer);
      } else {
        this.#readyCount.set(peer.id, count);
      }
    }
    this.#checkAllClosed();
  }

  connectionRejected(connection: PeerConnection, code: string, message: string): void {
    this.#countReject(code, message, connection.remoteAddress);
  }

  // ---- internals ------------------------------------------------------------------------------

  #countReject(code: string, message: string, remoteAddress: string): void {
    this.counters.rejects[code] = (this.counters.rejects[code] ?? 0) + 1;
    this.#warnings.warn(code, { code, remoteAddress }, `peer connection refused: ${message}`);
    this.emitEvent('reject', { code, message, remoteAddress });
  }

  #timeoutOf(options: CallOptions): number {
    return options.timeoutMs ?? this.#options.requestTimeoutMs;
  }

  #createServer(): net.Server {
    const tlsOptions = this.#options.tls;
    if (tlsOptions === undefined) {
      return net.createServer((socket) => this.#accept(socket, remoteOf(socket)));
    }
    const server = tls.createServer(
      {
        cert: tlsOptions.cert,
        key: tlsOptions.key,
        ca: tlsOptions.ca,
        requestCert: tlsOptions.ca !== undefined,
        rejectUnauthorized: tlsOptions.ca !== undefined,
      },
      (socket) => this.#accept(socket, remoteOf(socket)),
    );
    server.on('tlsClientError', (error, socket) => {
      this.#countReject('ERR_TLS', error.message, remoteOf(socket));
    });
    return server;
  }

  #accept(socket: Duplex, remoteAddress: string, firstBytes?: Buffer): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (this.#establishedCount() >= this.#options.maxConnections) {
      this.#countReject('ERR_TOO_MANY_CONNECTIONS', 'connection limit reached', remoteAddress);
      socket.destroy();
      return;
    }
    this.#startSweeper();
    if (socket instanceof net.Socket) socket.setNoDelay(true);
    const connection = new PeerConnection({ host: this, socket, role: 'acceptor', remoteAddress });
    this.#connections.add(connection);
    const ip =
      socket instanceof net.Socket ? (socket.remoteAddress ?? remoteAddress) : remoteAddress;
    for (const evicted of this.#handshakeSlots.admit(connection, ip)) {
      evicted.reject(
        'ERR_TOO_MANY_HANDSHAKES',
        'too many connections in their handshake; dropped the oldest',
        false,
      );
    }
    connection.start(firstBytes);
  }

  /** A ready connection to `address`: the routed one, a dial in progress, or a new dial. */
  async #connectionFor(
    address: string,
    options: CallOptions,
    timeoutMs: number,
  ): Promise<PeerConnection> {
    if (this.#closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    if (options.signal?.aborted) {
      throw new TransportError('ERR_ABORTED', 'the call was aborted', {
        cause: options.signal.reason,
      });
    }
    const routed = this.#byAddress.get(address);
    if (routed !== undefined && routed.isReady && !routed.isDraining) return routed;
    let dial = this.#dials.get(address);
    if (dial === undefined) {
      dial = this.#dialWithBackoff(address);
      this.#dials.set(address, dial);
      const started = dial;
      void started.then(
        () => this.#dials.delete(address),
        () => this.#dials.delete(address),
      );
    }
    return await this.#withDeadline(dial, timeoutMs, options.signal);
  }

  /** Races `work` against the call's deadline and signal, on the injected clock. */
  #withDeadline<T>(work: Promise<T>, timeoutMs: number, signal?: AbortSignal): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        done();
        reject(
          new TransportError('ERR_ABORTED', 'the call was aborted', { cause: signal?.reason }),
        );
      };
      const timer = this.clock.setTimeout(() => {
        done();
        reject(new TransportError('ERR_TIMEOUT', `no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /**
   * Dials with capped exponential backoff and full jitter between attempts. Failures are
   * remembered per address, so calls to a dead peer fail fast until its next attempt is due
   * instead of each paying for a connect timeout.
   */
  async #dialWithBackoff(address: string): Promise<PeerConnection> {
    const { reconnectBaseMs, reconnectMaxMs, dialAttempts, random } = this.#options;
    const redial = { baseMs: reconnectBaseMs, maxMs: reconnectMaxMs, jitter: 'full' } as const;
    const state = this.#backoff.get(address);
    if (state !== undefined && this.clock.now() < state.notBefore) {
      throw new TransportError(
        'ERR_UNREACHABLE',
        `${address} failed recently; next attempt in ${state.notBefore - this.clock.now()} ms`,
      );
    }
    let failures = state?.failures ?? 0;
    let lastError: TransportError | undefined;
    for (let attempt = 0; attempt < dialAttempts; attempt++) {
      if (attempt > 0) {
        const backoff = backoffDelay(failures, { ...redial, random: () => random.next() });
        await delay(this.clock, backoff, this.#lifetime.signal).catch(() => undefined);
        if (this.#closed) break;
      }
      try {
        const connection = await this.#dialOnce(address);
        this.#backoff.delete(address);
        return this.#preferred(connection);
      } catch (error) {
        lastError = error as TransportError;
        failures++;
        if (PERMANENT_DIAL_FAILURES.has(lastError.code)) break;
      }
    }
    const wait = backoffDelay(failures, { ...redial, random: () => random.next() });
    this.#backoff.set(address, { failures, notBefore: this.clock.now() + wait });
    if (this.#closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    if (lastError !== undefined && PERMANENT_DIAL_FAILURES.has(lastError.code)) throw lastError;
    throw new TransportError('ERR_UNREACHABLE', `cannot reach ${address}: ${lastError?.message}`, {
      cause: lastError,
    });
  }

  async #dialOnce(address: string): Promise<PeerConnection> {
    if (this.#closed) throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    if (this.#establishedCount() >= this.#options.maxConnections) {
      throw new TransportError('ERR_TOO_MANY_CONNECTIONS', 'connection limit reached');
    }
    const { host, port } = parseAddress(address);
    this.#startSweeper(); // a dial-only transport (never listened) still closes idle connections
    const tlsOptions = this.#options.tls;
    let socketError: (Error & { code?: string; syscall?: string }) | undefined;
    let secured = tlsOptions === undefined;
    const socket =
      tlsOptions === undefined
        ? net.connect({ host, port, noDelay: true })
        : tls.connect({
            host,
            port,
            cert: tlsOptions.cert,
            key: tlsOptions.key,
            ca: tlsOptions.ca,
            // Trust comes from the cluster CA (and the HMAC handshake), not from hostnames:
            // peers are addressed by IP and their certificates need not name it.
            checkServerIdentity: () => undefined,
          });
    socket.once('secureConnect', () => (secured = true));
    socket.on('error', (error: Error & { code?: string; syscall?: string }) => {
      socketError ??= error;
    });
    const connection = new PeerConnection({
      host: this,
      socket,
      role: 'dialer',
      remoteAddress: address,
      dialAddress: address,
    });
    this.#connections.add(connection);
    connection.start();
    try {
      await connection.readyPromise;
    } catch (error) {
      if (!secured && socketError !== undefined && socketError.syscall === undefined) {
        const message = `TLS handshake with ${address} failed: ${socketError.message}`;
        this.#countReject('ERR_TLS', message, address);
        throw new TransportError('ERR_TLS', message, { cause: socketError });
      }
      if (socketError !== undefined) {
        throw new TransportError('ERR_UNREACHABLE', socketError.message, { cause: socketError });
      }
      throw error;
    }
    return connection;
  }

  /** After a dial, the connection calls should use (a simultaneous dial may have won). */
  #preferred(connection: PeerConnection): PeerConnection {
    const peer = connection.peer as PeerInfo;
    const routed = this.#byPeerId.get(peer.id);
    return routed !== undefined && routed.isReady && !routed.isDraining ? routed : connection;
  }

  #route(connection: PeerConnection): void {
    const peer = connection.peer as PeerInfo;
    this.#byPeerId.set(peer.id, connection);
    // An advertised address is only a claim: it never takes over an address already served by
    // another live peer (addresses we dialled ourselves are facts and always route).
    const current = this.#byAddress.get(peer.address);
    if (
      current === undefined ||
      current.peer?.id === peer.id ||
      !current.isReady ||
      current.isDraining
    ) {
      this.#byAddress.set(peer.address, connection);
    }
    if (connection.dialAddress !== undefined)
      this.#byAddress.set(connection.dialAddress, connection);
  }

  #unroute(connection: PeerConnection): void {
    const peer = connection.peer;
    if (peer === undefined) return;
    if (this.#byPeerId.get(peer.id) === connection) this.#byPeerId.delete(peer.id);
    for (const key of [peer.address, connection.dialAddress]) {
      if (key !== undefined && this.#byAddress.get(key) === connection) this.#byAddress.delete(key);
    }
  }

  #establishedCount(): number {
    let established = 0;
    for (const connection of this.#connections) if (connection.isReady) established++;
    return established;
  }

  #startSweeper(): void {
    if (this.#sweeper !== undefined || this.#closed) return;
    const { idleTimeoutMs, streamIdleTimeoutMs } = this.#options;
    this.#sweeper = this.clock.setInterval(
      () => this.#closeIdle(),
      Math.max(250, Math.min(idleTimeoutMs, streamIdleTimeoutMs) / 4),
    );
  }

  #closeIdle(): void {
    const now = this.clock.now();
    const { streamIdleTimeoutMs } = this.#options;
    for (const connection of [...this.#connections]) {
      const reset = connection.isReady ? connection.resetIdleStreams(streamIdleTimeoutMs) : 0;
      if (reset > 0) {
        this.counters.idleStreamResets += reset;
        this.#warnings.warn(
          'ERR_STREAM_IDLE',
          { code: 'ERR_STREAM_IDLE', peer: connection.peer?.id, streams: reset },
          `reset ${reset} stream(s) that made no progress for ${streamIdleTimeoutMs} ms`,
        );
      }
    }
    for (const connection of this.#connections) {
      if (
        connection.isReady &&
        !connection.isDraining &&
        connection.inFlight === 0 &&
        now - connection.lastActivity >= this.#options.idleTimeoutMs
      ) {
        this.#options.logger.debug({ peer: connection.peer?.id }, 'closing idle connection');
        connection.goAway();
      }
    }
  }

  #checkAllClosed(): void {
    if (this.#closed && this.#connections.size === 0) this.#allClosed?.();
  }
}

function remoteOf(socket: Duplex): string {
  if (socket instanceof net.Socket && socket.remoteAddress !== undefined) {
    return formatAddress(socket.remoteAddress, socket.remotePort ?? 0);
  }
  return 'unknown';
}

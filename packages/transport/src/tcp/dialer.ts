/**
 * Outgoing connections of a `TcpTransport`: one dial per address at a time (concurrent callers share
 * it), retried with capped exponential backoff and full jitter, and failures remembered per address
 * so calls to a dead peer fail fast. Every wait runs against the caller's deadline and signal.
 */
import { backoffDelay } from '@dfs/base';
import net from 'node:net';
import tls from 'node:tls';
import { delay, type Clock } from '../clock.js';
import { TransportError } from '../errors.js';
import { parseAddress } from './address.js';
import type { ConnectionHost } from './connection-host.js';
import { PeerConnection } from './connection.js';
import type { ResolvedTcpOptions } from './options.js';
import type { PeerRoutes } from './peer-routes.js';

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

/** What the dialer needs from its transport. */
export interface DialerHost {
  readonly options: ResolvedTcpOptions;
  readonly clock: Clock;
  /** The host every dialled connection reports to (the transport). */
  readonly connectionHost: ConnectionHost<PeerConnection>;
  readonly routes: PeerRoutes;
  /** Aborted when the transport closes: backoff waits end at once. */
  readonly lifetime: AbortSignal;
  isClosed(): boolean;
  establishedCount(): number;
  /** A dial-only transport (never listened) still closes idle connections. */
  startSweeper(): void;
  /** Takes a new connection into the transport's set before it starts. */
  adopt(connection: PeerConnection): void;
  countReject(code: string, message: string, remoteAddress: string): void;
}

export class Dialer {
  readonly #host: DialerHost;
  readonly #dials = new Map<string, Promise<PeerConnection>>();
  readonly #backoff = new Map<string, { failures: number; notBefore: number }>();

  constructor(host: DialerHost) {
    this.#host = host;
  }

  /** A ready connection to `address` from the dial in progress, or from a new dial. */
  dial(address: string, timeoutMs: number, signal?: AbortSignal): Promise<PeerConnection> {
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
    return withDeadline(this.#host.clock, dial, timeoutMs, signal);
  }

  /**
   * Dials with capped exponential backoff and full jitter between attempts. Failures are
   * remembered per address, so calls to a dead peer fail fast until its next attempt is due
   * instead of each paying for a connect timeout.
   */
  async #dialWithBackoff(address: string): Promise<PeerConnection> {
    const { reconnectBaseMs, reconnectMaxMs, dialAttempts, random } = this.#host.options;
    const redial = { baseMs: reconnectBaseMs, maxMs: reconnectMaxMs, jitter: 'full' } as const;
    const { clock } = this.#host;
    const state = this.#backoff.get(address);
    if (state !== undefined && clock.now() < state.notBefore) {
      throw new TransportError(
        'ERR_UNREACHABLE',
        `${address} failed recently; next attempt in ${state.notBefore - clock.now()} ms`,
      );
    }
    let failures = state?.failures ?? 0;
    let lastError: TransportError | undefined;
    for (let attempt = 0; attempt < dialAttempts; attempt++) {
      if (attempt > 0) {
        const backoff = backoffDelay(failures, { ...redial, random: () => random.next() });
        await delay(clock, backoff, this.#host.lifetime).catch(() => undefined);
        if (this.#host.isClosed()) break;
      }
      try {
        const connection = await this.#dialOnce(address);
        this.#backoff.delete(address);
        return this.#host.routes.preferred(connection);
      } catch (error) {
        lastError = error as TransportError;
        failures++;
        if (PERMANENT_DIAL_FAILURES.has(lastError.code)) break;
      }
    }
    const wait = backoffDelay(failures, { ...redial, random: () => random.next() });
    this.#backoff.set(address, { failures, notBefore: clock.now() + wait });
    if (this.#host.isClosed()) {
      throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    }
    if (lastError !== undefined && PERMANENT_DIAL_FAILURES.has(lastError.code)) throw lastError;
    throw new TransportError('ERR_UNREACHABLE', `cannot reach ${address}: ${lastError?.message}`, {
      cause: lastError,
    });
  }

  async #dialOnce(address: string): Promise<PeerConnection> {
    if (this.#host.isClosed()) {
      throw new TransportError('ERR_TRANSPORT_CLOSED', 'transport is closed');
    }
    if (this.#host.establishedCount() >= this.#host.options.maxConnections) {
      throw new TransportError('ERR_TOO_MANY_CONNECTIONS', 'connection limit reached');
    }
    const { host, port } = parseAddress(address);
    this.#host.startSweeper();
    const tlsOptions = this.#host.options.tls;
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
      host: this.#host.connectionHost,
      socket,
      role: 'dialer',
      remoteAddress: address,
      dialAddress: address,
    });
    this.#host.adopt(connection);
    connection.start();
    try {
      await connection.readyPromise;
    } catch (error) {
      if (!secured && socketError !== undefined && socketError.syscall === undefined) {
        const message = `TLS handshake with ${address} failed: ${socketError.message}`;
        this.#host.countReject('ERR_TLS', message, address);
        throw new TransportError('ERR_TLS', message, { cause: socketError });
      }
      if (socketError !== undefined) {
        throw new TransportError('ERR_UNREACHABLE', socketError.message, { cause: socketError });
      }
      throw error;
    }
    return connection;
  }
}

/** Races `work` against the call's deadline and signal, on the injected clock. */
function withDeadline<T>(
  clock: Clock,
  work: Promise<T>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      done();
      reject(new TransportError('ERR_ABORTED', 'the call was aborted', { cause: signal?.reason }));
    };
    const timer = clock.setTimeout(() => {
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

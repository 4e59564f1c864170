/**
 * One port for two protocols. Every accepted connection (after TLS, when configured) is held until
 * its first bytes arrive; peer-protocol connections go to the transport, everything else to the HTTP
 * server, with the sniffed bytes pushed back so the HTTP parser sees the request from its start.
 *
 * A connection that sends too few bytes to decide within `sniffTimeoutMs` is closed: that is the
 * slowloris guard for the stage before the HTTP server's own header timeout takes over.
 */
import type http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { RateLimitedLog, type Clock } from '@dfs/transport';
import type { Logger } from 'pino';
import { DEFAULT_TUNABLES } from './config.js';

export interface PeerConnectionSink {
  /** True when these first bytes start the peer protocol. */
  isPeerProtocol(firstBytes: Uint8Array): boolean;
  /** Take over a connection whose first bytes (already read off it) are `firstBytes`. */
  handleConnection(socket: Duplex, firstBytes: Buffer): void;
}

export interface SharedListenerOptions {
  host: string;
  port: number;
  /** Absent on a peer-only port (when `--api` moves HTTP away): other connections are closed. */
  http?: http.Server;
  /** Absent on an API-only listener (`--api`): every connection is HTTP. */
  peer?: PeerConnectionSink;
  tls?: tls.SecureContextOptions & { requestCert?: boolean };
  clock: Clock;
  logger: Logger;
  /** Bytes read before deciding: the peer protocol's magic length. */
  sniffBytes?: number;
  /** The `listener.sniffTimeoutMs` tunable (its default when absent). */
  sniffTimeoutMs?: number;
}

/** The peer protocol's magic is 4 bytes; every HTTP request line is longer. Not a tunable. */
const PEER_MAGIC_BYTES = 4;

export class SharedListener {
  readonly #options: SharedListenerOptions;
  readonly #sniffTimeoutMs: number;
  readonly #server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  /** Refusals a flood can trigger are logged once per reason per interval, with a count. */
  readonly #warnings: RateLimitedLog;
  /**
   * Terminates TLS for accepted sockets without listening itself: handing it raw sockets through
   * 'connection' gets the same handshake handling (timeouts, `authorized`) as a listening one.
   */
  readonly #tlsServer: tls.Server | undefined;

  constructor(options: SharedListenerOptions) {
    this.#options = options;
    this.#sniffTimeoutMs = options.sniffTimeoutMs ?? DEFAULT_TUNABLES.listener.sniffTimeoutMs;
    this.#warnings = new RateLimitedLog(options.logger, options.clock);
    if (options.tls) {
      const { requestCert, ...context } = options.tls;
      this.#tlsServer = tls.createServer({
        ...context,
        // Ask for a certificate (peers present one signed by --tls-ca) but do not require it here:
        // HTTP clients on the shared port have none. Peer connections are checked in #sniff.
        requestCert: requestCert ?? false,
        rejectUnauthorized: false,
        handshakeTimeout: this.#sniffTimeoutMs,
      });
      this.#tlsServer.on('secureConnection', (socket: tls.TLSSocket) =>
        this.#sniff(socket, socket),
      );
      this.#tlsServer.on('tlsClientError', (error, socket) => {
        options.logger.debug({ err: error, remote: socket.remoteAddress }, 'TLS handshake failed');
        socket.destroy();
      });
    }
    this.#server = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    // Errors while binding reject listen() (the start fails with one line); only later ones are logged.
    this.#server.on('error', (error) => {
      if (this.#server.listening) options.logger.error({ err: error }, 'listener error');
    });
  }

  listen(): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(this.#options.port, this.#options.host, () => {
        this.#server.off('error', onError);
        resolve(this.#server.address() as net.AddressInfo);
      });
    });
  }

  /**
   * Stop accepting; connections still being sniffed are closed, handed-over ones are left to their
   * owners (the HTTP server and the transport close them). We do not wait for the server's 'close'
   * event: it only fires once every connection it ever accepted has ended, handed-over ones included.
   */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    this.#warnings.close();
    if (this.#server.listening) this.#server.close();
  }

  #accept(raw: net.Socket): void {
    raw.on('error', () => {});
    if (this.#tlsServer) this.#tlsServer.emit('connection', raw);
    else this.#sniff(raw, raw);
  }

  #sniff(socket: net.Socket, raw: net.Socket): void {
    const { clock, logger, peer } = this.#options;
    const need = this.#options.sniffBytes ?? PEER_MAGIC_BYTES;
    this.#sockets.add(raw);
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      timer.cancel();
      socket.off('data', onData);
      socket.off('close', onClose);
      this.#sockets.delete(raw);
    };
    const onClose = (): void => cleanup();
    const timer = clock.setTimeout(() => {
      cleanup();
      logger.debug(
        { remote: raw.remoteAddress },
        'closing a connection that sent too little to identify',
      );
      socket.destroy();
      raw.destroy();
    }, this.#sniffTimeoutMs);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total < need) return;
      cleanup();
      socket.pause();
      const first = Buffer.concat(chunks);
      if (peer?.isPeerProtocol(first)) {
        if (
          this.#options.tls?.requestCert &&
          socket instanceof tls.TLSSocket &&
          !socket.authorized
        ) {
          this.#warnings.warn(
            'ERR_TLS',
            { code: 'ERR_TLS', remote: raw.remoteAddress, reason: socket.authorizationError },
            'peer refused: no certificate signed by --tls-ca',
          );
          socket.destroy();
          return;
        }
        peer.handleConnection(socket, first);
        // Listeners attached to a socket we paused do not restart its flow.
        socket.resume();
        return;
      }
      const httpServer = this.#options.http;
      if (!httpServer) {
        logger.debug(
          { remote: raw.remoteAddress },
          'closing a non-peer connection on the peer port',
        );
        socket.destroy();
        return;
      }
      socket.unshift(first);
      httpServer.emit('connection', socket);
      // The HTTP server listens for 'data' but does not resume a socket we paused; the unshifted
      // bytes flow first, before any newly read ones, because resume flushes the buffer
      // synchronously.
      socket.resume();
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  }
}

/**
 * node:http only arms its header and request timeouts (the slowloris guards) once the server emits
 * 'listening'. A server that only receives connections handed over by a SharedListener never
 * listens itself, so tell it it is.
 */
export function armHttpTimeouts(server: http.Server): void {
  server.emit('listening');
}

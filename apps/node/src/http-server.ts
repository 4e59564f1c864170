/**
 * The node's one node:http server, shared by the listen port and `--api`. It exists before the
 * engine does: until the API is wired every request gets a prompt 503 (health says "starting")
 * instead of hanging. Its timeouts are the slowloris guards (`http.*` tunables).
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { HttpTunables } from './config.js';
import { sendError } from './http/errors.js';
import { sendJson } from './http/respond.js';

/** Status lines for requests the HTTP parser refuses before our listener sees them. */
const CLIENT_ERROR_STATUS: Record<string, string> = {
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
};

export interface NodeHttpServer {
  server: http.Server;
  /** Route requests to the API from now on (before: 503 "starting"). */
  serve(handler: http.RequestListener): void;
}

export function createNodeHttpServer(
  limits: HttpTunables,
  nodeId: string,
  log: Logger,
): NodeHttpServer {
  // Whole headers within headersTimeoutMs; no byte for idleSocketTimeoutMs closes; bodies may take
  // as long as they flow (no request timeout).
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // node:http's default (30 s) would let a client that is too slow linger long past its timeout.
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    noDelay: true,
  });
  server.timeout = limits.idleSocketTimeoutMs;
  server.on('clientError', (error: Error & { code?: string }, socket) => {
    log.debug({ err: error }, 'malformed or too slow HTTP request');
    if (socket.writable && !socket.destroyed) {
      const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? '400 Bad Request';
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () =>
        socket.destroy(),
      );
    } else {
      socket.destroy();
    }
  });
  let handler: http.RequestListener | undefined;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (handler) handler(req, res);
    else answerStarting(req, res, nodeId);
  });
  return {
    server,
    serve(api) {
      handler = api;
    },
  };
}

function answerStarting(req: http.IncomingMessage, res: http.ServerResponse, id: string): void {
  if (req.url === '/v1/health') {
    sendJson(res, 503, { status: 'starting', id }, req.method === 'HEAD');
    return;
  }
  sendError(res, 503, 'UNAVAILABLE', 'node is starting');
}

/**
 * The HTTP API (SPEC.md "HTTP API") as one node:http request listener. node:http rather than a
 * framework: request and response are already the streams we need (backpressure from the socket to
 * the store and back), there is no body parsing to bypass, and we can hand it connections sniffed off
 * the shared port. Routing is a handful of fixed paths, so a router would add nothing.
 *
 * Every failure answers through the error table in ./errors.ts; nothing a client sends can throw out
 * of the listener.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import type { FileInfo, FileService } from '../file-service.js';
import { NodeError } from '../errors.js';
import type { NodeMetrics } from '../metrics.js';
import { nameProblem } from '../names.js';
import { parseDuration } from '../cli/units.js';
import { createBearerCheck } from './auth.js';
import { answerFor, publicMessage, sendError } from './errors.js';
import { decideRange } from './range.js';
import { uploadBody } from './upload-body.js';

export type Lifecycle = 'starting' | 'serving' | 'stopping';

export interface MemberView {
  id: string;
  addr: string;
  state: 'alive' | 'suspect' | 'dead' | 'left';
  incarnation: number;
  /** Wall-clock ms when this node last heard from the member (its own entry: now). */
  lastSeen: number;
}

export interface ClusterView {
  self: MemberView;
  /** Every known member, this node included. */
  members: MemberView[];
}

export interface ApiOptions {
  files: FileService;
  nodeId: string;
  lifecycle: () => Lifecycle;
  cluster: () => ClusterView;
  metrics: NodeMetrics;
  logger: Logger;
  maxFileSize: number;
  apiToken?: string;
  /** Aborted at shutdown: in-flight transfers stop. */
  shutdown: AbortSignal;
  /** How long `PUT ?w=N` waits for N holders unless `?timeout=` says otherwise. Default 10 s. */
  defaultWriteTimeoutMs?: number;
}

const FILES_PREFIX = '/v1/files/';
const MAX_LIST_LIMIT = 1000;
const DEFAULT_LIST_LIMIT = 100;

interface Route {
  /** Low-cardinality label for metrics. */
  label: string;
  handle(ctx: RequestContext): Promise<void>;
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams;
  signal: AbortSignal;
}

export function createApiListener(
  options: ApiOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { files, metrics, logger } = options;
  const authorized = createBearerCheck(options.apiToken);
  const writeTimeoutMs = options.defaultWriteTimeoutMs ?? 10_000;

  const routeFor = (method: string, path: string): Route | undefined => {
    if (path === '/v1/health') return only(method, ['GET', 'HEAD'], 'health', health);
    if (path === '/metrics') return only(method, ['GET'], 'metrics', metricsText);
    if (path === '/v1/cluster') return only(method, ['GET'], 'cluster', cluster);
    if (path === '/v1/files' || path === '/v1/files/') {
      return only(method, ['GET'], 'list', list);
    }
    if (path.startsWith(FILES_PREFIX)) {
      const handlers: Record<string, (ctx: RequestContext) => Promise<void>> = {
        PUT: putFile,
        GET: getFile,
        HEAD: headFile,
        DELETE: deleteFile,
      };
      return only(method, Object.keys(handlers), 'file', (ctx) => {
        const handler = handlers[method];
        return handler ? handler(ctx) : Promise.resolve();
      });
    }
    return undefined;
  };

  async function health({ res, req }: RequestContext): Promise<void> {
    const state = options.lifecycle();
    if (state !== 'serving') {
      sendJson(res, 503, { status: state, id: options.nodeId }, req.method === 'HEAD');
      return;
    }
    const members = options.cluster().members.filter((m) => m.state === 'alive').length;
    const body = { status: 'ok', id: options.nodeId, members, files: files.localStats().files };
    sendJson(res, 200, body, req.method === 'HEAD');
  }

  async function metricsText({ res }: RequestContext): Promise<void> {
    const text = await metrics.registry.metrics();
    res.writeHead(200, {
      'content-type': metrics.registry.contentType,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  async function cluster({ res }: RequestContext): Promise<void> {
    sendJson(res, 200, options.cluster());
  }

  async function list({ res, query }: RequestContext): Promise<void> {
    const limitText = query.get('limit');
    const limit = limitText === null ? DEFAULT_LIST_LIMIT : Number(limitText);
    if (!/^\d+$/.test(limitText ?? '1') || limit < 1 || limit > MAX_LIST_LIMIT) {
      throw new NodeError(
        'ERR_BAD_REQUEST',
        `limit must be a whole number from 1 to ${MAX_LIST_LIMIT}`,
      );
    }
    const prefix = query.get('prefix') ?? undefined;
    const cursor = query.get('cursor') || undefined;
    const page = await files.list({
      limit,
      ...(prefix ? { prefix } : {}),
      ...(cursor ? { cursor } : {}),
    });
    sendJson(res, 200, {
      files: page.files.map((f) => ({
        name: f.name,
        size: f.size,
        sha256: f.sha256,
        version: f.version,
        modified: f.modified,
      })),
      next: page.next ?? null,
    });
  }

  async function putFile({ req, res, path, query, signal }: RequestContext): Promise<void> {
    const name = fileName(path);
    const wanted = parseHolders(query.get('w'));
    const timeoutText = query.get('timeout');
    const timeoutMs = timeoutText === null ? writeTimeoutMs : parseDuration(timeoutText);
    if (timeoutMs === undefined || timeoutMs <= 0) {
      throw new NodeError('ERR_BAD_REQUEST', `timeout "${timeoutText}" is not a duration like 5s`);
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > options.maxFileSize) {
      // Refuse before reading a byte; close the connection since the body will not be drained.
      res.setHeader('connection', 'close');
      throw new NodeError(
        'ERR_TOO_LARGE',
        `body of ${declared} bytes exceeds the ${options.maxFileSize}-byte limit (--max-file-size)`,
      );
    }
    const body = uploadBody(req);
    let info: FileInfo;
    try {
      info = await files.put(name, body.stream, { signal, maxBytes: options.maxFileSize });
    } catch (error) {
      body.discardRest();
      throw error;
    }
    metrics.httpBytes.inc({ direction: 'in' }, info.size);
    const answer = { name: info.name, size: info.size, sha256: info.sha256, version: info.version };
    if (wanted > 1) {
      const reached = await files.waitForHolders(name, info.version, wanted, { timeoutMs, signal });
      if (!reached) {
        throw new NodeError(
          'ERR_TIMEOUT',
          `stored on this node, but ${wanted} holders were not reached within ${timeoutMs} ms; the write stands`,
        );
      }
    }
    sendJson(res, 201, answer, false, { etag: `"${info.sha256}"`, ...versionHeaders(info) });
  }

  async function getFile({ req, res, path, signal }: RequestContext): Promise<void> {
    const name = fileName(path);
    const rangeHeader = req.headers.range;
    const ifNoneMatch = req.headers['if-none-match'];
    let info = await files.stat(name, { signal });
    if (info && ifNoneMatch !== undefined && etagMatches(ifNoneMatch, info.sha256)) {
      res.writeHead(304, { etag: `"${info.sha256}"`, ...versionHeaders(info) });
      res.end();
      return;
    }
    if (!info && rangeHeader === undefined && ifNoneMatch === undefined) {
      // Not in the local index: let the service find it on a peer in one go.
      const { info: found, stream } = await files.read(name, { signal });
      await sendBody(res, found, stream, undefined);
      return;
    }
    if (!info) {
      // A range or validator needs the size or hash first: read once to learn them.
      const probe = await files.read(name, { signal });
      probe.stream.destroy();
      info = probe.info;
      if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, info.sha256)) {
        res.writeHead(304, { etag: `"${info.sha256}"`, ...versionHeaders(info) });
        res.end();
        return;
      }
    }
    const decision = decideRange(rangeHeader, info.size);
    if (decision.kind === 'unsatisfiable') {
      throw new NodeError('ERR_RANGE', decision.reason, {
        headers: { 'content-range': `bytes */${info.size}` },
      });
    }
    const range = decision.kind === 'partial' ? decision.range : undefined;
    const { info: served, stream } = await files.read(name, range ? { range, signal } : { signal });
    await sendBody(res, served, stream, range);
  }

  async function sendBody(
    res: ServerResponse,
    info: FileInfo,
    stream: Readable,
    range: { start: number; end: number } | undefined,
  ): Promise<void> {
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'accept-ranges': 'bytes',
      etag: `"${info.sha256}"`,
      'last-modified': new Date(info.modified).toUTCString(),
      ...versionHeaders(info),
    };
    if (range) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
      headers['content-length'] = range.end - range.start + 1;
      res.writeHead(206, headers);
    } else {
      headers['content-length'] = info.size;
      res.writeHead(200, headers);
    }
    // Never attach a 'data' listener to count bytes here: it would start the flow before pipeline.
    // A verification failure mid-stream destroys the response: the client sees a short body
    // against its Content-Length, never silently wrong bytes.
    await pipeline(stream, res);
    metrics.httpBytes.inc({ direction: 'out' }, Number(headers['content-length']));
  }

  async function headFile({ res, path, signal }: RequestContext): Promise<void> {
    const name = fileName(path);
    const info = await files.stat(name, { signal });
    if (!info) throw new NodeError('ERR_NOT_FOUND', `no file named "${name}"`);
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': info.size,
      'accept-ranges': 'bytes',
      etag: `"${info.sha256}"`,
      'last-modified': new Date(info.modified).toUTCString(),
      ...versionHeaders(info),
    });
    res.end();
  }

  async function deleteFile({ res, path, signal }: RequestContext): Promise<void> {
    const name = fileName(path);
    if (!(await files.delete(name, { signal }))) {
      throw new NodeError('ERR_NOT_FOUND', `no file named "${name}"`);
    }
    res.writeHead(204);
    res.end();
  }

  return (req, res) => {
    const started = process.hrtime.bigint();
    const method = req.method ?? 'GET';
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
    let label = 'unknown';
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.observeRequest(method, label, res.statusCode, seconds);
    });
    const controller = new AbortController();
    // The client went away before we finished: stop whatever the request started.
    res.on('close', () => {
      if (!res.writableFinished)
        controller.abort(new NodeError('ERR_BAD_REQUEST', 'client disconnected'));
    });
    const signal = AbortSignal.any([controller.signal, options.shutdown]);
    void (async () => {
      try {
        const route = routeFor(method, rawPath);
        if (!route) throw new NodeError('ERR_NOT_FOUND', `no such endpoint ${method} ${rawPath}`);
        label = route.label;
        if (label !== 'health') {
          if (!authorized(req.headers.authorization)) {
            throw new NodeError(
              'ERR_UNAUTHORIZED',
              'missing or wrong API token (Authorization: Bearer <token>)',
              { headers: { 'www-authenticate': 'Bearer' } },
            );
          }
          const state = options.lifecycle();
          if (state !== 'serving') throw new NodeError('ERR_UNAVAILABLE', `node is ${state}`);
        }
        await route.handle({
          req,
          res,
          path: rawPath,
          query: new URLSearchParams(rawQuery),
          signal,
        });
      } catch (error) {
        if (controller.signal.aborted || res.destroyed) {
          // The client went away mid-request: nobody to answer, nothing wrong with the node.
          logger.debug({ err: error, method, url: req.url }, 'client disconnected');
          res.destroy();
          return;
        }
        const answer = answerFor(error);
        if (answer.status === 500)
          logger.error({ err: error, method, url: req.url }, 'request failed');
        else logger.debug({ err: error, method, url: req.url }, 'request refused');
        const extra = error instanceof NodeError ? error.headers : {};
        if (req.method === 'HEAD' && !res.headersSent) {
          res.writeHead(answer.status, extra);
          res.end();
        } else {
          sendError(res, answer.status, answer.code, publicMessage(error, answer), extra);
        }
      }
    })();
  };
}

function only(
  method: string,
  allowed: string[],
  label: string,
  handle: (ctx: RequestContext) => Promise<void>,
): Route {
  if (allowed.includes(method)) return { label, handle };
  return {
    label,
    handle: async () => {
      throw new NodeError(
        'ERR_METHOD_NOT_ALLOWED',
        `${method} is not allowed here; use ${allowed.join(' or ')}`,
        { headers: { allow: allowed.join(', ') } },
      );
    },
  };
}

/** The file name from `/v1/files/<percent-encoded name>`, validated. */
export function fileName(path: string): string {
  let name: string;
  try {
    name = decodeURIComponent(path.slice(FILES_PREFIX.length));
  } catch {
    throw new NodeError('ERR_INVALID_NAME', 'name is not valid percent-encoded UTF-8');
  }
  const problem = nameProblem(name);
  if (problem) throw new NodeError('ERR_INVALID_NAME', problem);
  return name;
}

function parseHolders(text: string | null): number {
  if (text === null) return 1;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
    throw new NodeError(
      'ERR_BAD_REQUEST',
      `w must be a whole number from 1 to 1000, not "${text}"`,
    );
  }
  return Number(text);
}

function etagMatches(header: string, sha256: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === `"${sha256}"`);
}

function versionHeaders(info: FileInfo): Record<string, string> {
  return {
    'x-dfs-size': String(info.size),
    'x-dfs-sha256': info.sha256,
    'x-dfs-version': info.version,
    'x-dfs-holders': String(info.holders),
    // Last-Modified has whole seconds; this keeps the version's millisecond.
    'x-dfs-modified': String(info.modified),
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headOnly = false,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(headOnly ? undefined : text);
}

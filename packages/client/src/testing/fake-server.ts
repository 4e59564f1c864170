/**
 * A small in-memory dfs node that speaks the HTTP API (docs/api.md), for tests of code that uses the
 * client (ours, the CLI's, yours). One process, bodies in memory, no replication: what it lacks is
 * the cluster, not the API's shape. Exported as `@dfs/client/testing`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeUploads } from './fake-uploads.js';
import {
  BODY_CONTENT_TYPE,
  HEADERS,
  JSON_CONTENT_TYPE,
  PATHS,
  decodeName,
  etagOf,
  fileHeaders,
  nameProblem,
  type ApiErrorCode,
  type ClusterView,
  type ErrorBody,
  type HealthBody,
  type ListPage,
  type MemberPlacement,
  type MemberState,
  type NodeRow,
  type NodeStats,
  type PutResult,
  type StatusView,
  parseNodeActionPath,
} from '@dfs/api';

export interface FakeFile {
  body: Buffer;
  sha256: string;
  version: string;
  modified: number;
}

export interface FakeMember {
  id: string;
  addr: string;
  state: MemberState;
  incarnation: number;
  lastSeen: number;
  /** Its placement; default `in` (alive or suspect) or `down`, weight and capacity 1. */
  placement?: MemberPlacement;
  /**
   * What `/v1/status` reports for it: default all zeros while alive or suspect, null (`dead`)
   * otherwise; null here reports it as not answering (`timeout`).
   */
  stats?: NodeStats | null;
}

/** The placement summary `/v1/cluster` reports; change it to test how callers show it. */
export interface FakeClusterState {
  replicas: number;
  rebalancePaused: boolean;
  underReplicated: number;
  surplus: number;
}

export interface FakeDfsServerOptions {
  /** When set, every call but /v1/health needs `Authorization: Bearer <token>`. */
  token?: string;
  /** The node's id. Default `fake-node`. */
  id?: string;
  /** Other members reported by /v1/cluster (this node is added first). */
  peers?: FakeMember[];
  /** Largest accepted body (413 above). Default 64 MiB. */
  maxFileSize?: number;
  /** Largest list page. Default 1000. */
  maxPageSize?: number;
  /** Clock for versions, `modified` and `lastSeen`. Default Date.now. */
  now?: () => number;
  /**
   * Runs before the API for every request; return true when it answered the request itself
   * (inject failures, slow answers, odd responses).
   */
  intercept?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
}

export interface FakeRequestRecord {
  method: string;
  url: string;
  authorization: string | undefined;
  contentLength: string | undefined;
}

export interface FakeDfsServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** `127.0.0.1:40123`, as a user would pass it to `--node`. */
  address: string;
  port: number;
  id: string;
  files: Map<string, FakeFile>;
  /** Every request received, in order. */
  requests: FakeRequestRecord[];
  /** What `/v1/cluster` reports besides the members (mutable). */
  cluster: FakeClusterState;
  /** The operator actions applied (`drain <id>`, `remove <id>`), in order. */
  nodeActions: string[];
  /** What /v1/health reports; anything but `ok` answers 503. */
  setStatus(status: 'ok' | 'starting' | 'stopping'): void;
  close(): Promise<void>;
}

const sha256 = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    ...headers,
    [HEADERS.contentType]: JSON_CONTENT_TYPE,
    [HEADERS.contentLength]: Buffer.byteLength(text),
  });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: ApiErrorCode, message: string): void {
  const body: ErrorBody = { error: { code, message } };
  sendJson(res, status, body);
}

/** Parses a single `bytes=` range against `size`; undefined when unsatisfiable or malformed. */
export function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) return undefined;
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return undefined;
  return { start, end };
}

export async function startFakeDfsServer(
  options: FakeDfsServerOptions = {},
): Promise<FakeDfsServer> {
  const now = options.now ?? Date.now;
  const id = options.id ?? 'fake-node';
  const maxFileSize = options.maxFileSize ?? 64 * 1024 * 1024;
  const maxPageSize = options.maxPageSize ?? 1000;
  const files = new Map<string, FakeFile>();
  const requests: FakeRequestRecord[] = [];
  let status: 'ok' | 'starting' | 'stopping' = 'ok';
  let counter = 0;
  let address = '';

  const cluster: FakeClusterState = {
    replicas: 3,
    rebalancePaused: false,
    underReplicated: 0,
    surplus: 0,
  };
  const nodeActions: string[] = [];
  /** Placement overrides set by drain and remove, by member id. */
  const statuses = new Map<string, NodeRow>();
  const members = (): FakeMember[] =>
    [
      { id, addr: address, state: 'alive' as MemberState, incarnation: 1, lastSeen: now() },
      ...(options.peers ?? []),
    ].map((member) => {
      const row = statuses.get(member.id);
      const up = member.state === 'alive' || member.state === 'suspect';
      const placement: MemberPlacement = row
        ? { state: row.status === 'draining' ? 'draining' : 'removed', weight: 0, capacity: 1 }
        : (member.placement ?? { state: up ? 'in' : 'down', weight: 1, capacity: 1 });
      return { ...member, placement };
    });

  /** `/v1/status`: this node's stats from its files, the peers' as given (FakeMember.stats). */
  function statusView(): StatusView {
    let bytes = 0;
    for (const file of files.values()) bytes += file.body.length;
    const zero: NodeStats = {
      files: 0,
      bytes: 0,
      diskFree: 2 ** 30,
      diskTotal: 2 ** 31,
      transfersIn: 0,
      transfersOut: 0,
      backlog: 0,
      bytesIn: 0,
      bytesOut: 0,
      uptime: 0,
    };
    const [self, ...peers] = members();
    return {
      self: id,
      replicas: cluster.replicas,
      at: now(),
      members: [
        { ...self!, api: `http://${address}`, stats: { ...zero, files: files.size, bytes } },
        ...peers.map(({ stats, ...member }) => {
          const up = member.state === 'alive' || member.state === 'suspect';
          if (!up) return { ...member, stats: null, error: 'dead' as const };
          if (stats === null) return { ...member, stats: null, error: 'timeout' as const };
          return { ...member, stats: stats ?? zero };
        }),
      ],
    };
  }

  function nodeAction(res: ServerResponse, path: string): void {
    const action = parseNodeActionPath(path);
    if (!action) return sendError(res, 404, 'NOT_FOUND', `no route POST ${path}`);
    if (!members().some((member) => member.id === action.id)) {
      return sendError(res, 404, 'UNKNOWN_NODE', `no member ${JSON.stringify(action.id)}`);
    }
    const row: NodeRow = {
      id: action.id,
      capacity: 1,
      replicas: cluster.replicas,
      api: action.id === id ? `http://${address}` : '',
      status: action.action === 'drain' ? 'draining' : 'removed',
      since: now(),
      stamp: now(),
      writer: id,
    };
    statuses.set(action.id, row);
    nodeActions.push(`${action.action} ${action.id}`);
    sendJson(res, 200, row);
  }

  /** The headers the node sends with a file (docs/api.md), this node being its only holder. */
  function headersOf(file: FakeFile): Record<string, string> {
    return {
      [HEADERS.etag]: etagOf(file.sha256),
      ...fileHeaders({ ...file, size: file.body.length, holders: 1, holderIds: [id] }),
      [HEADERS.lastModified]: new Date(file.modified).toUTCString(),
      [HEADERS.acceptRanges]: 'bytes',
      [HEADERS.contentType]: BODY_CONTENT_TYPE,
    };
  }

  async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > maxFileSize) return undefined;
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  }

  /** Stores `body` as a new version of `name` and answers 201 (504 when `w` exceeds the alive members). */
  function completePut(
    res: ServerResponse,
    name: string,
    body: Buffer,
    w: string | null = null,
  ): void {
    counter += 1;
    const stored: FakeFile = {
      body,
      sha256: sha256(body),
      version: `${String(now()).padStart(15, '0')}.${String(counter).padStart(6, '0')}.${id}`,
      modified: now(),
    };
    files.set(name, stored);
    const result: PutResult = {
      name,
      size: body.length,
      sha256: stored.sha256,
      version: stored.version,
    };
    const alive = members().filter((member) => member.state === 'alive').length;
    if (w !== null && Number(w) > alive) {
      return sendError(res, 504, 'TIMEOUT', `only ${alive} of ${w} nodes hold the file`);
    }
    return sendJson(res, 201, result);
  }

  const uploads = fakeUploads({
    now,
    readBody: (req) => readBody(req),
    completePut: (res, name, body) => completePut(res, name, body),
    sendJson: (res, status, value, headers) => sendJson(res, status, value, headers),
    sendError,
  });

  async function handleFile(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    let name: string;
    try {
      name = decodeName(url.pathname.slice(PATHS.filePrefix.length));
    } catch {
      return sendError(res, 400, 'INVALID_NAME', 'name is not valid percent-encoding');
    }
    const problem = nameProblem(name);
    if (problem !== undefined) return sendError(res, 400, 'INVALID_NAME', problem);
    const file = files.get(name);
    switch (req.method) {
      case 'PUT': {
        const declared = Number(req.headers[HEADERS.contentLength] ?? 0);
        if (declared > maxFileSize) {
          res.setHeader('connection', 'close');
          return sendError(res, 413, 'TOO_LARGE', `the limit is ${maxFileSize} bytes`);
        }
        const body = await readBody(req);
        if (body === undefined) {
          res.setHeader('connection', 'close');
          return sendError(res, 413, 'TOO_LARGE', `the limit is ${maxFileSize} bytes`);
        }
        return completePut(res, name, body, url.searchParams.get('w'));
      }
      case 'GET':
      case 'HEAD': {
        if (!file) return sendError(res, 404, 'NOT_FOUND', `no file named ${JSON.stringify(name)}`);
        const headers = headersOf(file);
        if (req.method === 'HEAD') {
          res.writeHead(200, { ...headers, [HEADERS.contentLength]: file.body.length });
          return void res.end();
        }
        const rangeHeader = req.headers[HEADERS.range];
        if (rangeHeader !== undefined) {
          const range = parseRange(rangeHeader, file.body.length);
          if (!range) {
            res.setHeader(HEADERS.contentRange, `bytes */${file.body.length}`);
            return sendError(res, 416, 'RANGE_NOT_SATISFIABLE', `bad range ${rangeHeader}`);
          }
          res.writeHead(206, {
            ...headers,
            [HEADERS.contentLength]: range.end - range.start + 1,
            [HEADERS.contentRange]: `bytes ${range.start}-${range.end}/${file.body.length}`,
          });
          return void res.end(file.body.subarray(range.start, range.end + 1));
        }
        res.writeHead(200, { ...headers, [HEADERS.contentLength]: file.body.length });
        return void res.end(file.body);
      }
      case 'DELETE': {
        if (!file) return sendError(res, 404, 'NOT_FOUND', `no file named ${JSON.stringify(name)}`);
        files.delete(name);
        res.writeHead(204);
        return void res.end();
      }
      default:
        return sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not supported`);
    }
  }

  function handleList(res: ServerResponse, url: URL): void {
    const prefix = url.searchParams.get('prefix') ?? '';
    const limitParam = url.searchParams.get('limit');
    const limit = limitParam === null ? maxPageSize : Number(limitParam);
    if (!Number.isSafeInteger(limit) || limit < 1) {
      return sendError(res, 400, 'BAD_REQUEST', 'limit must be a positive integer');
    }
    const cursorParam = url.searchParams.get('cursor');
    const after =
      cursorParam === null ? undefined : Buffer.from(cursorParam, 'base64url').toString();
    const names = [...files.keys()]
      .filter(
        (name) => name.startsWith(prefix) && (after === undefined || compare(name, after) > 0),
      )
      .sort(compare);
    const page = names.slice(0, Math.min(limit, maxPageSize));
    const more = names.length > page.length;
    const last = page[page.length - 1];
    const body: ListPage = {
      files: page.map((name) => {
        const file = files.get(name)!;
        return {
          name,
          size: file.body.length,
          sha256: file.sha256,
          version: file.version,
          modified: file.modified,
        };
      }),
      next: more && last !== undefined ? Buffer.from(last).toString('base64url') : null,
    };
    sendJson(res, 200, body);
  }

  const server = createServer((req, res) => {
    void (async () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        contentLength: req.headers[HEADERS.contentLength],
      });
      if (options.intercept && (await options.intercept(req, res))) return;
      const url = new URL(req.url ?? '/', 'http://fake');
      if (url.pathname === PATHS.health && req.method === 'GET') {
        const health: HealthBody =
          status === 'ok'
            ? {
                status,
                id,
                members: members().filter((member) => member.state === 'alive').length,
                files: files.size,
              }
            : { status, id };
        return sendJson(res, status === 'ok' ? 200 : 503, health);
      }
      if (
        options.token !== undefined &&
        req.headers[HEADERS.authorization] !== `Bearer ${options.token}`
      ) {
        return sendError(res, 401, 'UNAUTHORIZED', 'missing or wrong API token');
      }
      if (status !== 'ok') return sendError(res, 503, 'UNAVAILABLE', `node is ${status}`);
      if (url.pathname.startsWith(PATHS.filePrefix)) return handleFile(req, res, url);
      if (await uploads(req, res, url)) return;
      if (url.pathname === PATHS.files && req.method === 'GET') return handleList(res, url);
      if (url.pathname.startsWith(PATHS.nodePrefix) && req.method === 'POST') {
        return nodeAction(res, url.pathname);
      }
      if (url.pathname === PATHS.status && req.method === 'GET')
        return sendJson(res, 200, statusView());
      if (url.pathname === PATHS.cluster && req.method === 'GET') {
        const all = members();
        const view: ClusterView = { self: all[0]!, members: all, ...cluster };
        return sendJson(res, 200, view);
      }
      sendError(res, 404, 'NOT_FOUND', `no route ${req.method ?? ''} ${url.pathname}`);
    })().catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'INTERNAL', String(error));
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  address = `127.0.0.1:${port}`;
  return {
    url: `http://${address}`,
    address,
    port,
    id,
    files,
    requests,
    cluster,
    nodeActions,
    setStatus(next) {
      status = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Byte order of the UTF-8 encoding, as the node lists names. */
function compare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

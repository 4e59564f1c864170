/**
 * The file endpoints: PUT, GET, HEAD and DELETE of `/v1/files/<name>`, and the listing. Bodies move
 * as streams end to end (request → store, store or peer → response); nothing here buffers a body.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BODY_CONTENT_TYPE,
  DEFAULT_LIST_LIMIT,
  HEADERS,
  MAX_LIST_LIMIT,
  MAX_WRITE_HOLDERS,
  PATHS,
  decodeName,
  contentDisposition,
  etagOf,
  fileHeaders,
  nameProblem,
  type ListPage,
  type PutResult,
} from '@dfs/api';
import type { FileInfo } from '@dfs/replication';
import { DEFAULT_TUNABLES } from '../config.js';
import { NodeError } from '../errors.js';
import { parseDuration } from '../units.js';
import { defaultWriteQuorum } from '../placement-control.js';
import type { ApiOptions, RequestContext } from './context.js';
import { decideRange } from './range.js';
import { sendJson } from './respond.js';
import { uploadBody } from './upload-body.js';
import { uploadContentType } from './content-type.js';

export type FileRoute = (ctx: RequestContext) => Promise<void>;

/** How many holders a put waits for (`?w`), and how long (`?timeout`). */
export interface WriteWait {
  wanted: number;
  timeoutMs: number;
}

/** What other routes that end in a put share with `PUT /v1/files/<name>`. */
export interface PutCompletion {
  writeWaitOf(query: URLSearchParams): WriteWait;
  answerStored(ctx: RequestContext, info: FileInfo, wait: WriteWait): Promise<void>;
}

export function createFileRoutes(options: ApiOptions): {
  list: FileRoute;
  putFile: FileRoute;
  getFile: FileRoute;
  headFile: FileRoute;
  deleteFile: FileRoute;
  completion: PutCompletion;
} {
  const { files, metrics } = options;
  const limits = options.tunables ?? DEFAULT_TUNABLES.http;

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
    const body: ListPage = {
      files: page.files.map((f) => ({
        name: f.name,
        size: f.size,
        sha256: f.sha256,
        version: f.version,
        modified: f.modified,
      })),
      next: page.next ?? null,
    };
    sendJson(res, 200, body);
  }

  async function putFile({ req, res, path, query, signal }: RequestContext): Promise<void> {
    const name = fileName(path);
    const wanted = writeQuorum(query.get('w'));
    const timeoutMs = writeWait(query.get('timeout'));
    const declared = req.headers[HEADERS.contentLength];
    if (declared !== undefined && Number(declared) > options.maxFileSize) {
      // Refuse before reading a byte; close the connection since the body will not be drained.
      res.setHeader('connection', 'close');
      throw new NodeError(
        'ERR_TOO_LARGE',
        `body of ${declared} bytes exceeds the ${options.maxFileSize}-byte limit (--max-file-size)`,
      );
    }
    const contentType = uploadContentType(req.headers[HEADERS.contentType], name);
    const body = uploadBody(req, limits);
    let info: FileInfo;
    try {
      info = await files.put(name, body.stream, {
        signal,
        maxBytes: options.maxFileSize,
        meta: { contentType },
        // Nothing waits for another copy: a large body need not go at the chain's pace.
        replicateAfterCommit:
          wanted <= 1 &&
          declared !== undefined &&
          Number(declared) >= limits.replicateAfterCommitMinBytes,
      });
    } catch (error) {
      body.discardRest();
      throw error;
    }
    metrics.countHttpBytes('in', info.size);
    await answerStored({ req, res, path, query, signal }, info, { wanted, timeoutMs });
  }

  /**
   * The end of every put (`PUT /v1/files/<name>` and a completed upload session): wait for `?w`
   * holders, then answer 201 with the new version, or 504 when the holders were not reached in time.
   */
  async function answerStored(
    { req, res, signal }: RequestContext,
    info: FileInfo,
    { wanted, timeoutMs }: WriteWait,
  ): Promise<void> {
    const name = info.name;
    const answer: PutResult = {
      name: info.name,
      size: info.size,
      sha256: info.sha256,
      version: info.version,
    };
    if (wanted > 1) {
      // No byte moves while we wait: keep the socket's idle limit from cutting the wait short.
      if (req.socket.timeout !== undefined && req.socket.timeout > 0) {
        res.setTimeout(Math.max(req.socket.timeout, timeoutMs + limits.writeWaitIdleGraceMs));
      }
      const reached = await files.waitForHolders(name, info.version, wanted, { timeoutMs, signal });
      if (!reached) {
        throw new NodeError(
          'ERR_TIMEOUT',
          `stored on this node, but ${wanted} holders were not reached within ${timeoutMs} ms; the write stands`,
        );
      }
    }
    sendJson(res, 201, answer, false, {
      [HEADERS.etag]: etagOf(info.sha256),
      ...fileHeaders(info),
    });
  }

  /** `?w=` and `?timeout=` of a put, checked (400 when out of bounds). */
  function writeWaitOf(query: URLSearchParams): WriteWait {
    return { wanted: writeQuorum(query.get('w')), timeoutMs: writeWait(query.get('timeout')) };
  }

  /**
   * `?redirect=1`: true when it answered 307 to a holder that is up; false when this node holds
   * the body and serves it as usual.
   */
  async function redirected({ res, path, query, signal }: RequestContext): Promise<boolean> {
    const placement = options.placement;
    if (query.get('redirect') !== '1' || placement === undefined) return false;
    const name = fileName(path);
    const info = await files.stat(name, { signal });
    if (!info) throw new NodeError('ERR_NOT_FOUND', `no file named "${name}"`);
    if (await placement.holdsLocally(name, info.version)) return false;
    const [holder] = placement.holderApis(name);
    if (holder === undefined) {
      throw new NodeError('ERR_UNAVAILABLE', `no node that holds "${name}" is up`);
    }
    res.writeHead(307, { [HEADERS.location]: `${holder.replace(/\/+$/, '')}${path}` });
    res.end();
    return true;
  }

  /** `?timeout=`: how long `?w` waits, clamped to the API maximum. */
  function writeWait(timeoutText: string | null): number {
    const askedMs = timeoutText === null ? limits.writeWaitDefaultMs : parseDuration(timeoutText);
    if (askedMs === undefined || askedMs <= 0) {
      throw new NodeError('ERR_BAD_REQUEST', `timeout "${timeoutText}" is not a duration like 5s`);
    }
    // Longer asks are clamped (a 30-day timer once overflowed and answered 504 at once).
    return Math.min(askedMs, limits.writeWaitMaxMs);
  }

  /** `?w`: 1 ≤ N ≤ R; default a majority of the targets that can answer (1 without placement). */
  function writeQuorum(text: string | null): number {
    const placement = options.placement;
    const max = placement ? Math.min(placement.replicas, MAX_WRITE_HOLDERS) : MAX_WRITE_HOLDERS;
    if (text === null) {
      return placement ? defaultWriteQuorum(placement.replicas, placement.upMembers()) : 1;
    }
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      const bound = placement ? ` (the replication factor, --replicas)` : '';
      throw new NodeError(
        'ERR_BAD_REQUEST',
        `w must be a whole number from 1 to ${max}${bound}, not "${text}"`,
      );
    }
    const wanted = Number(text);
    const placed = placement?.placedMembers();
    if (placed !== undefined && wanted > placed) {
      // It could never be reached: say so now rather than after the whole write wait.
      throw new NodeError(
        'ERR_BAD_REQUEST',
        `w=${wanted} cannot be reached: only ${placed} member${placed === 1 ? '' : 's'} can hold files (in placement, up or down)`,
      );
    }
    return wanted;
  }

  async function getFile(ctx: RequestContext): Promise<void> {
    if (await redirected(ctx)) return;
    const { req, res, path, signal } = ctx;
    const name = fileName(path);
    const rangeHeader = req.headers[HEADERS.range];
    const ifNoneMatch = req.headers[HEADERS.ifNoneMatch];
    let info = await files.stat(name, { signal });
    if (info && ifNoneMatch !== undefined && etagMatches(ifNoneMatch, info.sha256)) {
      res.writeHead(304, { [HEADERS.etag]: etagOf(info.sha256), ...fileHeaders(info) });
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
        res.writeHead(304, { [HEADERS.etag]: etagOf(info.sha256), ...fileHeaders(info) });
        res.end();
        return;
      }
    }
    const decision = decideRange(rangeHeader, info.size);
    if (decision.kind === 'unsatisfiable') {
      throw new NodeError('ERR_RANGE', decision.reason, {
        headers: { [HEADERS.contentRange]: `bytes */${info.size}` },
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
    const headers: Record<string, string | number> = bodyHeaders(info);
    if (range) {
      headers[HEADERS.contentRange] = `bytes ${range.start}-${range.end}/${info.size}`;
      headers[HEADERS.contentLength] = range.end - range.start + 1;
      res.writeHead(206, headers);
    } else {
      headers[HEADERS.contentLength] = info.size;
      res.writeHead(200, headers);
    }
    // Never attach a 'data' listener to count bytes here: it would start the flow before pipeline.
    // A verification failure mid-stream destroys the response: the client sees a short body
    // against its Content-Length, never silently wrong bytes.
    await pipeline(stream, res);
    metrics.countHttpBytes('out', Number(headers[HEADERS.contentLength]));
  }

  async function headFile(ctx: RequestContext): Promise<void> {
    if (await redirected(ctx)) return;
    const { res, path, signal } = ctx;
    const name = fileName(path);
    const info = await files.stat(name, { signal });
    if (!info) throw new NodeError('ERR_NOT_FOUND', `no file named "${name}"`);
    res.writeHead(200, { ...bodyHeaders(info), [HEADERS.contentLength]: info.size });
    res.end();
  }

  async function deleteFile({ res, path, query, signal }: RequestContext): Promise<void> {
    const name = fileName(path);
    // DELETE keeps w=1 as its default (the tombstone is durable here and spreads); ?w=N waits for
    // N of the nodes that should hold the file to apply it, bounded like a PUT's.
    const wText = query.get('w');
    const w = wText === null ? 1 : writeQuorum(wText);
    const timeoutMs = writeWait(query.get('timeout'));
    const waiting = w > 1 ? { w, timeoutMs } : {};
    if (!(await files.delete(name, { signal, ...waiting }))) {
      throw new NodeError('ERR_NOT_FOUND', `no file named "${name}"`);
    }
    res.writeHead(204);
    res.end();
  }

  return {
    list,
    putFile,
    getFile,
    headFile,
    deleteFile,
    completion: { writeWaitOf, answerStored },
  };
}

/** The file name from `/v1/files/<percent-encoded name>`, validated. */
export function fileName(path: string): string {
  let name: string;
  try {
    name = decodeName(path.slice(PATHS.filePrefix.length));
  } catch {
    throw new NodeError('ERR_INVALID_NAME', 'name is not valid percent-encoded UTF-8');
  }
  const problem = nameProblem(name);
  if (problem) throw new NodeError('ERR_INVALID_NAME', problem);
  return name;
}

function etagMatches(header: string, sha256: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etagOf(sha256));
}

/** The headers of a file answer (GET and HEAD) before its length and range. */
function bodyHeaders(info: FileInfo): Record<string, string | number> {
  return {
    [HEADERS.contentType]: info.meta?.contentType ?? BODY_CONTENT_TYPE,
    [HEADERS.contentDisposition]: contentDisposition(info.name),
    [HEADERS.acceptRanges]: 'bytes',
    [HEADERS.etag]: etagOf(info.sha256),
    [HEADERS.lastModified]: new Date(info.modified).toUTCString(),
    ...fileHeaders(info),
  };
}

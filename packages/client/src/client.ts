/**
 * `DfsClient`: one typed method per API call (docs/api.md), streaming both ways, over a list of nodes
 * with failover. See node-caller.ts for the retry rules, download-body.ts for resuming.
 */
import { Readable } from 'node:stream';
import { prepareBody, type UploadBody } from './body.js';
import { resumableBody } from './download-body.js';
import { DfsClientError, errorFromResponse } from './errors.js';
import {
  BODY_CONTENT_TYPE,
  filePath,
  HEADERS,
  nameProblem,
  nodeActionPath,
  PATHS,
  type NodeAction,
} from '@dfs/api';
import { DEFAULT_NODE, parseNodes } from './nodes.js';
import type {
  CallOptions,
  DfsClientOptions,
  GetOptions,
  GetToFileOptions,
  ListOptions,
  PutOptions,
} from './client-options.js';
import { assertWritableTarget, saveDownload } from './save-file.js';
import {
  abortUpload,
  uploadResumable,
  type ResumableUploadOptions,
  type SessionCalls,
  type UploadSessionRef,
} from './resumable-upload.js';
import { defaultSleep, NodeCaller, type CallAnswer } from './node-caller.js';
import {
  statFromHeaders,
  toClusterView,
  toHealth,
  toListPage,
  toNodeRow,
  toPutResult,
  toStatusView,
} from './responses.js';
import type {
  ClusterView,
  Download,
  FileEntry,
  FileStat,
  Health,
  ListPage,
  NodeRow,
  PutResult,
  StatusView,
} from './types.js';

export type { ByteRange, Download, Progress, ProgressCallback } from './types.js';

function checkName(name: string): void {
  const problem = typeof name === 'string' ? nameProblem(name) : 'name is not a string';
  if (problem !== undefined)
    throw new DfsClientError('ERR_INVALID_NAME', `${problem}: ${JSON.stringify(name)}`);
}

function checkCount(value: number | undefined, what: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min)) {
    throw new DfsClientError('ERR_INVALID_ARGUMENT', `${what} must be an integer ≥ ${min}`);
  }
}

async function failure(answer: CallAnswer): Promise<DfsClientError> {
  const text = await answer.response.text().catch(() => '');
  return errorFromResponse(answer.response.status, text, answer.node);
}

async function json(answer: CallAnswer): Promise<unknown> {
  const text = await answer.response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DfsClientError('ERR_BAD_RESPONSE', 'the node answered with invalid JSON', {
      node: answer.node,
      status: answer.response.status,
      cause: error,
    });
  }
}

export class DfsClient {
  /** Base URLs of the nodes, in the order given. */
  readonly nodes: readonly string[];
  private readonly caller: NodeCaller;
  /** Builds a caller that talks to one node only (upload sessions live on one node). */
  private readonly callerFor: (node: string) => NodeCaller;
  /** How often a download broken mid-body is resumed (the same budget as retries). */
  private readonly resumes: number;

  constructor(options: DfsClientOptions = {}) {
    this.nodes = parseNodes(options.nodes ?? DEFAULT_NODE);
    checkCount(options.retries, 'retries', 0);
    this.resumes = options.retries ?? 2;
    const headers: Record<string, string> = { 'user-agent': options.userAgent ?? '@dfs/client' };
    if (options.token !== undefined && options.token !== '') {
      headers[HEADERS.authorization] = `Bearer ${options.token}`;
    }
    const callerOf = (nodes: readonly string[]): NodeCaller =>
      new NodeCaller(
        nodes,
        headers,
        {
          retries: options.retries ?? 2,
          baseDelayMs: options.retryDelayMs ?? 100,
          maxDelayMs: options.maxRetryDelayMs ?? 2000,
        },
        options.fetch ?? globalThis.fetch,
        options.sleep ?? defaultSleep,
        options.random ?? Math.random,
      );
    this.callerFor = (node) => callerOf([node]);
    this.caller = callerOf(this.nodes);
  }

  /**
   * Uploads the file at `source.path` as `name` through a resumable upload session: in chunks,
   * each fsynced on the node before the next, a broken chunk resent from what the node holds.
   * Pass `resume` (what `onSession` reported in an earlier run) to continue an interrupted upload
   * without resending what the node already holds. Resolves like `put` once the session completed.
   */
  uploadResumable(
    name: string,
    source: { path: string },
    options: ResumableUploadOptions = {},
  ): Promise<PutResult> {
    checkName(name);
    checkCount(options.w, 'w', 1);
    checkCount(options.chunkBytes, 'chunkBytes', 1);
    return uploadResumable(this.sessionCalls(), name, source, options);
  }

  /** Aborts an upload session (what `onSession` reported), freeing what the node holds of it. */
  abortUpload(session: UploadSessionRef): Promise<void> {
    return abortUpload(this.sessionCalls(), session);
  }

  private sessionCalls(): SessionCalls {
    return {
      any: (spec) => this.caller.call(spec),
      on: (node, spec) => this.callerFor(node).call(spec),
      failure,
      json,
      toPutResult,
    };
  }

  /** Uploads `body` as `name`. Resolves once the node has fsynced it (and `w` nodes hold it). */
  async put(name: string, body: UploadBody, options: PutOptions = {}): Promise<PutResult> {
    checkName(name);
    checkCount(options.w, 'w', 1);
    checkCount(options.size, 'size', 0);
    const prepared = await prepareBody(body, options.size);
    const total = prepared.size;
    let loaded = 0;
    const query = options.w === undefined ? '' : `?w=${options.w}`;
    const answer = await this.caller.call({
      method: 'PUT',
      path: `${filePath(name)}${query}`,
      idempotent: false,
      headers: { [HEADERS.contentType]: BODY_CONTENT_TYPE },
      body: prepared,
      onBodyBytes: (count) => {
        loaded += count;
        options.onProgress?.({ loaded, total });
      },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 201 && answer.response.status !== 200)
      throw await failure(answer);
    return toPutResult(await json(answer), answer.node);
  }

  /** Starts a download: resolves with metadata and the body stream once headers arrive. */
  async get(name: string, options: GetOptions = {}): Promise<Download> {
    checkName(name);
    const headers: Record<string, string> = {};
    if (options.range) {
      const { start, end } = options.range;
      checkCount(start, 'range.start', 0);
      checkCount(end, 'range.end', start);
      headers[HEADERS.range] = `bytes=${start}-${end ?? ''}`;
    }
    const answer = await this.caller.call({
      method: 'GET',
      path: filePath(name),
      idempotent: true,
      headers,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const { response } = answer;
    if (response.status !== 200 && response.status !== 206) throw await failure(answer);
    let range: Download['range'];
    const contentRange = response.headers.get(HEADERS.contentRange);
    const info = statFromHeaders(name, response.headers, answer.node);
    let length = info.size;
    if (response.status === 206) {
      const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
      if (!match) {
        await response.body?.cancel();
        throw new DfsClientError('ERR_BAD_RESPONSE', 'a 206 answer without a valid Content-Range', {
          node: answer.node,
        });
      }
      range = { start: Number(match[1]), end: Number(match[2]), total: Number(match[3]) };
      length = range.end - range.start + 1;
      // Content-Length is the range's length here; the file's size is the range's total.
      info.size = range.total;
    }
    // Resuming asks for the rest of the same bytes: up to the range's end, or the file's end.
    const offset = range?.start ?? 0;
    const lastByte = offset + length - 1;
    const stream = resumableBody({
      first: answer,
      length,
      offset,
      resumes: this.resumes,
      reopen: (from) => this.reopen(name, from, lastByte, info.sha256, options.signal),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return {
      info,
      range,
      length,
      stream,
      webStream: () => Readable.toWeb(stream) as ReadableStream<Uint8Array>,
      buffer: async () => {
        const chunks: Buffer[] = [];
        for await (const chunk of stream) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
    };
  }

  /** Continues a broken download at `from`, from any node, if it still has the same version. */
  private async reopen(
    name: string,
    from: number,
    lastByte: number,
    sha256: string,
    signal: AbortSignal | undefined,
  ): Promise<CallAnswer> {
    const answer = await this.caller.call({
      method: 'GET',
      path: filePath(name),
      idempotent: true,
      headers: { [HEADERS.range]: `bytes=${from}-${lastByte}` },
      ...(signal ? { signal } : {}),
    });
    const { response } = answer;
    if (response.status !== 206) {
      // 416: the range that fit the old version does not fit the current one.
      const error =
        response.status === 416
          ? new DfsClientError(
              'ERR_CHANGED',
              `${JSON.stringify(name)} was replaced by a newer version during the download; start again`,
              { node: answer.node, status: 416 },
            )
          : response.status === 200
            ? new DfsClientError('ERR_BAD_RESPONSE', 'the node ignored the Range header')
            : await failure(answer);
      await response.body?.cancel().catch(() => undefined);
      throw error;
    }
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(
      response.headers.get(HEADERS.contentRange) ?? '',
    );
    const tag = statFromHeaders(name, response.headers, answer.node).sha256;
    if (tag !== sha256) {
      await response.body?.cancel().catch(() => undefined);
      throw new DfsClientError(
        'ERR_CHANGED',
        `${JSON.stringify(name)} was replaced by a newer version during the download; start again`,
        { node: answer.node },
      );
    }
    if (!match || Number(match[1]) !== from || Number(match[2]) !== lastByte) {
      await response.body?.cancel().catch(() => undefined);
      throw new DfsClientError('ERR_BAD_RESPONSE', 'the resumed range does not fit', {
        node: answer.node,
      });
    }
    return answer;
  }

  /** The whole file in memory. Convenient for small files; use `get` or `getToFile` for large ones. */
  async getBuffer(name: string, options: GetOptions = {}): Promise<Buffer> {
    return (await this.get(name, options)).buffer();
  }

  /**
   * Downloads `name` to `path` atomically (temp file + fsync + rename), verifying the sha256.
   * Refuses to replace an existing file unless `overwrite` (ERR_EXISTS), checked before downloading.
   */
  async getToFile(name: string, path: string, options: GetToFileOptions = {}): Promise<FileStat> {
    const overwrite = options.overwrite ?? false;
    await assertWritableTarget(path, overwrite);
    const download = await this.get(name, options);
    await saveDownload(download, path, {
      overwrite,
      ...(options.verify === undefined ? {} : { verify: options.verify }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return download.info;
  }

  /** Metadata of the newest version: size, sha256, version, holders. ERR_NOT_FOUND when absent. */
  async head(name: string, options: CallOptions = {}): Promise<FileStat> {
    checkName(name);
    const answer = await this.caller.call({
      method: 'HEAD',
      path: filePath(name),
      idempotent: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 200) {
      // HEAD answers carry no body: the status alone names the problem.
      throw errorFromResponse(answer.response.status, '', answer.node);
    }
    return statFromHeaders(name, answer.response.headers, answer.node);
  }

  /** Alias of `head`. */
  stat(name: string, options: CallOptions = {}): Promise<FileStat> {
    return this.head(name, options);
  }

  /** True when a live version of `name` exists. */
  async exists(name: string, options: CallOptions = {}): Promise<boolean> {
    try {
      await this.head(name, options);
      return true;
    } catch (error) {
      if (error instanceof DfsClientError && error.code === 'ERR_NOT_FOUND') return false;
      throw error;
    }
  }

  /** Deletes `name` everywhere (a tombstone spreads). ERR_NOT_FOUND when unknown. */
  async delete(name: string, options: CallOptions = {}): Promise<void> {
    checkName(name);
    const answer = await this.caller.call({
      method: 'DELETE',
      path: filePath(name),
      idempotent: false,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 204 && answer.response.status !== 200) {
      throw await failure(answer);
    }
    await answer.response.body?.cancel();
  }

  /** One page of live files in name order. */
  async list(options: ListOptions = {}): Promise<ListPage> {
    checkCount(options.limit, 'limit', 1);
    const query = new URLSearchParams();
    if (options.prefix !== undefined && options.prefix !== '') query.set('prefix', options.prefix);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.cursor !== undefined) query.set('cursor', options.cursor);
    const search = query.size > 0 ? `?${query.toString()}` : '';
    const answer = await this.caller.call({
      method: 'GET',
      path: `${PATHS.files}${search}`,
      idempotent: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 200) throw await failure(answer);
    return toListPage(await json(answer), answer.node);
  }

  /** Every live file under `prefix`, page after page. */
  async *listAll(options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<FileEntry> {
    let cursor: string | undefined;
    const seen = new Set<string>();
    do {
      const page = await this.list({ ...options, ...(cursor === undefined ? {} : { cursor }) });
      yield* page.files;
      // A node that hands back a cursor it already gave would loop forever.
      if (page.next !== undefined && seen.has(page.next)) {
        throw new DfsClientError('ERR_BAD_RESPONSE', 'the node repeated a list cursor');
      }
      cursor = page.next;
      if (cursor !== undefined) seen.add(cursor);
    } while (cursor !== undefined);
  }

  /** The answering node's view of the cluster. */
  async cluster(options: CallOptions = {}): Promise<ClusterView> {
    const answer = await this.caller.call({
      method: 'GET',
      path: PATHS.cluster,
      idempotent: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 200) throw await failure(answer);
    return toClusterView(await json(answer), answer.node);
  }

  /**
   * `GET /v1/status`: every member the answering node knows, each with the stats it reported about
   * itself (files, bytes, free disk, transfers, backlog, byte counters, uptime), or `stats: null`
   * and why. Takes about the node's status deadline (1 s) at most when a member does not answer.
   */
  async status(options: CallOptions = {}): Promise<StatusView> {
    const answer = await this.caller.call({
      method: 'GET',
      path: PATHS.status,
      idempotent: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 200) throw await failure(answer);
    return toStatusView(await json(answer), answer.node);
  }

  /**
   * Drains member `id`: its placement weight becomes 0 and its files get R copies elsewhere, while
   * it keeps serving. Resolves with its nodes-table row. ERR_UNKNOWN_NODE when no member has the id.
   */
  drainNode(id: string, options: CallOptions = {}): Promise<NodeRow> {
    return this.nodeAction(id, 'drain', options);
  }

  /**
   * Removes member `id` from placement at once: its files are copied to new targets from the
   * other holders. Resolves with its nodes-table row. ERR_UNKNOWN_NODE when no member has the id.
   */
  removeNode(id: string, options: CallOptions = {}): Promise<NodeRow> {
    return this.nodeAction(id, 'remove', options);
  }

  private async nodeAction(id: string, action: NodeAction, options: CallOptions): Promise<NodeRow> {
    if (typeof id !== 'string' || id === '') {
      throw new DfsClientError('ERR_INVALID_ARGUMENT', 'a member id is a non-empty string');
    }
    const answer = await this.caller.call({
      method: 'POST',
      path: nodeActionPath(id, action),
      // Repeating a drain or remove sets the same status again: safe to retry.
      idempotent: true,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (answer.response.status !== 200) throw await failure(answer);
    return toNodeRow(await json(answer), answer.node);
  }

  /**
   * The node's health. A 503 (starting or stopping) resolves with `ok: false` instead of throwing:
   * it is an answer, not a failure. Unreachable nodes still throw ERR_UNREACHABLE.
   */
  async health(options: CallOptions = {}): Promise<Health> {
    const answer = await this.caller.call({
      method: 'GET',
      path: PATHS.health,
      idempotent: true,
      retryStatuses: [502],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const { status } = answer.response;
    if (status !== 200 && status !== 503) throw await failure(answer);
    const text = await answer.response.text();
    let body: unknown = {};
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      if (status === 200) {
        throw new DfsClientError('ERR_BAD_RESPONSE', 'health answered with invalid JSON', {
          node: answer.node,
        });
      }
    }
    return toHealth(body, status === 200, answer.node);
  }
}

export function createClient(options: DfsClientOptions = {}): DfsClient {
  return new DfsClient(options);
}

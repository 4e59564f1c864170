/**
 * `uploadResumable`: a large file sent through an upload session (docs/api.md, "Resumable
 * uploads") in chunks, each acknowledged once the node fsynced it. A chunk that breaks is resent
 * from the offset the node says it holds, and a session from an earlier run (`resume`, as
 * `onSession` reported it) is continued where it stopped, so an interruption costs at most the
 * chunk in flight. Sessions live on one node, so every call after the creation goes to that node.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { setTimeout as wait } from 'node:timers/promises';
import {
  PATHS,
  uploadCompletePath,
  uploadPath,
  uploadSessionSchema,
  type PutResult,
  type UploadSession,
} from '@dfs/api';
import { DfsClientError, isDfsClientError } from './errors.js';
import type { CallAnswer, CallSpec } from './node-caller.js';
import type { ProgressCallback } from './types.js';

/** Where a session lives: the node's base URL and the session id. */
export interface UploadSessionRef {
  node: string;
  id: string;
}

export interface ResumableUploadOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** As `put`'s `w`: answer once this many targets hold the file. */
  w?: number;
  /** How long `w` waits (`15s`, `2m`); the node's default (10 s) otherwise. */
  timeout?: string;
  /** A session an earlier attempt created (from `onSession`); started afresh when the node lost it. */
  resume?: UploadSessionRef;
  /** Called once the session exists (and again if it had to be recreated): keep it to resume. */
  onSession?: (session: UploadSessionRef) => void;
  /** Bytes per chunk (each one request, fsynced before the next). Default 16 MiB. */
  chunkBytes?: number;
  /** Broken chunks resent before giving up (the count restarts after a chunk succeeds). Default 5. */
  chunkRetries?: number;
}

/** The calls the upload makes: `any` to whichever node answers, `on` to one node. */
export interface SessionCalls {
  any(spec: CallSpec): Promise<CallAnswer>;
  on(node: string, spec: CallSpec): Promise<CallAnswer>;
  failure(answer: CallAnswer): Promise<DfsClientError>;
  json(answer: CallAnswer): Promise<unknown>;
  toPutResult(value: unknown, node: string): PutResult;
}

export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;

export async function uploadResumable(
  calls: SessionCalls,
  name: string,
  source: { path: string },
  options: ResumableUploadOptions = {},
): Promise<PutResult> {
  const signal = options.signal;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const { size } = await stat(source.path);
  const hash = createHash('sha256');
  await pipeline(createReadStream(source.path), hash, signal ? { signal } : {});
  const sha256 = hash.digest('hex');
  const signalPart = signal ? { signal } : {};

  const sessionOf = async (answer: CallAnswer): Promise<UploadSession> => {
    const parsed = uploadSessionSchema.safeParse(await calls.json(answer));
    if (!parsed.success) {
      throw new DfsClientError(
        'ERR_BAD_RESPONSE',
        'upload session is not {id,name,size,offset,…}',
        {
          node: answer.node,
        },
      );
    }
    return parsed.data;
  };
  const fetchSession = async (ref: UploadSessionRef): Promise<UploadSession | undefined> => {
    const answer = await calls.on(ref.node, {
      method: 'GET',
      path: uploadPath(ref.id),
      idempotent: true,
      ...signalPart,
    });
    if (answer.response.status === 404) {
      await answer.response.body?.cancel();
      return undefined;
    }
    if (answer.response.status !== 200) throw await calls.failure(answer);
    return sessionOf(answer);
  };
  const create = async (): Promise<{ ref: UploadSessionRef; session: UploadSession }> => {
    const query = new URLSearchParams({ name, size: String(size), sha256 });
    const answer = await calls.any({
      method: 'POST',
      path: `${PATHS.uploads}?${query.toString()}`,
      idempotent: false,
      ...signalPart,
    });
    if (answer.response.status !== 201) throw await calls.failure(answer);
    const session = await sessionOf(answer);
    const ref = { node: answer.node, id: session.id };
    options.onSession?.(ref);
    return { ref, session };
  };

  let ref: UploadSessionRef | undefined;
  let offset = 0;
  if (options.resume) {
    const held = await fetchSession(options.resume);
    if (held && held.name === name && held.size === size && held.sha256 === sha256) {
      ref = options.resume;
      offset = held.offset;
    }
  }
  if (!ref) ({ ref } = await create());
  const session: UploadSessionRef = ref;
  options.onProgress?.({ loaded: offset, total: size });

  let failures = 0;
  while (offset < size) {
    const end = Math.min(size, offset + chunkBytes);
    const start = offset;
    let sent = 0;
    try {
      const answer = await calls.on(session.node, {
        method: 'PUT',
        path: `${uploadPath(session.id)}?offset=${start}`,
        idempotent: false,
        body: {
          size: end - start,
          replayable: true,
          open: () => createReadStream(source.path, { start, end: end - 1 }),
        },
        onBodyBytes: (count) => {
          sent += count;
          options.onProgress?.({ loaded: start + sent, total: size });
        },
        ...signalPart,
      });
      if (answer.response.status !== 200) throw await calls.failure(answer);
      offset = (await sessionOf(answer)).offset;
      failures = 0;
    } catch (error) {
      const resumable =
        isDfsClientError(error, 'ERR_NETWORK') || isDfsClientError(error, 'ERR_CONFLICT');
      if (!resumable || ++failures > (options.chunkRetries ?? 5)) throw error;
      // The chunk broke (or the node is still finishing the broken one: 409 busy): wait a little,
      // ask what the node holds, go on from there.
      await wait(100 * 2 ** failures, undefined, signalPart);
      const held = await fetchSession(session);
      if (!held) throw error;
      offset = held.offset;
    }
    options.onProgress?.({ loaded: offset, total: size });
  }

  const query = new URLSearchParams();
  if (options.w !== undefined) query.set('w', String(options.w));
  if (options.timeout !== undefined) query.set('timeout', options.timeout);
  const text = query.toString();
  const answer = await calls.on(session.node, {
    method: 'POST',
    path: `${uploadCompletePath(session.id)}${text ? `?${text}` : ''}`,
    idempotent: false,
    ...signalPart,
  });
  if (answer.response.status !== 201) throw await calls.failure(answer);
  return calls.toPutResult(await calls.json(answer), answer.node);
}

/** Forgets a session and the bytes it holds (`DELETE /v1/uploads/<id>`); a missing one is fine. */
export async function abortUpload(calls: SessionCalls, ref: UploadSessionRef): Promise<void> {
  const answer = await calls.on(ref.node, {
    method: 'DELETE',
    path: uploadPath(ref.id),
    idempotent: true,
  });
  if (answer.response.status === 404) {
    await answer.response.body?.cancel();
    return;
  }
  if (answer.response.status !== 204) throw await calls.failure(answer);
}

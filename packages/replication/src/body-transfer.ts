/**
 * Moving one version's body from a holder into the local store, verified while it streams.
 *
 * The puller opens a `fetch` stream to a holder; the bytes flow through a counting stage straight
 * into `store.put(..., { expectedSha256 })`, so memory stays at a few stream buffers whatever the
 * size, and a body whose hash differs is rejected and leaves nothing. Holders are tried in turn
 * until one succeeds. For a read miss the same bytes are also teed to the reader: the reader's
 * stream ends only after the store confirmed the sha256, and is destroyed with ERR_INTEGRITY if not,
 * so a reader never sees a clean end on corrupt data.
 */
import { PassThrough, Transform } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HandlerContext, PeerInfo, Transport } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { ReplicationError, errorCode, toReplicationError } from './errors.js';
import { PROTOCOLS, fetchHeaderSchema } from './wire.js';
import type { FetchHeader } from './wire.js';

export interface PullRequest {
  transport: Transport;
  store: BlobStore;
  /** Holders to try, in order. */
  holders: readonly PeerInfo[];
  header: FetchHeader;
  sha256: string;
  maxBytes: number;
  signal: AbortSignal;
  /** Called with each chunk's length as it arrives (for metrics). */
  onBytes(bytes: number): void;
  /**
   * When set, the first holder that starts sending is also teed to a reader: `deliver` receives the
   * reader's stream once the first bytes (or the end) arrived.
   */
  deliver?: (reader: Readable) => void;
}

export type PullOutcome =
  { ok: true; from: PeerInfo } | { ok: false; error: unknown; integrity: boolean };

export function countingStage(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

/** Waits until `stream` has data or ended; rejects if it errors or closes first. */
function firstBytes(stream: Duplex, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onReadable = (): void => {
      cleanup();
      resolve();
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new ReplicationError('ERR_NOT_FOUND', 'holder closed the stream without data'));
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal.reason);
    };
    stream.once('readable', onReadable);
    stream.once('error', onError);
    stream.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function pullFrom(request: PullRequest, holder: PeerInfo): Promise<void> {
  const { transport, header, signal } = request;
  const source = await transport.openStream(holder.address, PROTOCOLS.fetch, header, { signal });
  try {
    await pullThrough(request, source);
  } finally {
    // We never write to a fetch stream; tear it down whatever happened so nothing lingers half-open.
    source.destroy();
  }
}

async function pullThrough(request: PullRequest, source: Duplex): Promise<void> {
  const { store, header, signal } = request;
  source.end();
  const counted = countingStage(request.onBytes);
  source.on('error', (error) => counted.destroy(error));
  counted.on('error', () => source.destroy());
  const key = blobKey(header.name, header.version);
  const metadata = { name: header.name, version: header.version, origin: 'pull' };
  const putOptions = {
    expectedSha256: request.sha256,
    maxBytes: request.maxBytes,
    signal,
    metadata,
  };

  if (request.deliver === undefined) {
    source.pipe(counted);
    await store.put(key, counted, putOptions);
    return;
  }

  await firstBytes(source, signal);
  const reader = new PassThrough();
  const toStore = new PassThrough();
  // Errors reach the store (it iterates `toStore`) and the reader's consumer (a destroyed stream
  // reports its error to pipeline); these listeners only keep an error raised before either one
  // attached from becoming an uncaught exception that would take the node down.
  toStore.on('error', () => undefined);
  reader.on('error', () => undefined);
  counted.on('error', (error) => toStore.destroy(error));
  source.pipe(counted);
  counted.pipe(toStore);
  // The reader's end waits for the store's verdict on the sha256 (see the header comment).
  counted.pipe(reader, { end: false });
  request.deliver(reader);
  try {
    await store.put(key, toStore, putOptions);
  } catch (error) {
    const typed = toReplicationError(error);
    reader.destroy(typed instanceof Error ? typed : new Error(String(typed)));
    throw error;
  }
  reader.end();
}

/** Tries each holder until one delivers a verified body. Never throws. */
export async function pullBody(request: PullRequest): Promise<PullOutcome> {
  let lastError: unknown = new ReplicationError('ERR_NOT_FOUND', 'no live node holds this version');
  let integrity = false;
  let delivered = false;
  const deliver = request.deliver;
  const attempt: PullRequest =
    deliver === undefined
      ? request
      : {
          ...request,
          deliver: (reader) => {
            delivered = true;
            deliver(reader);
          },
        };
  for (const holder of request.holders) {
    if (request.signal.aborted) break;
    try {
      await pullFrom(attempt, holder);
      return { ok: true, from: holder };
    } catch (error) {
      lastError = error;
      if (errorCode(error) === 'ERR_INTEGRITY') integrity = true;
      // Once a reader got bytes we cannot switch holders under it.
      if (delivered) break;
    }
  }
  if (request.signal.aborted) lastError = request.signal.reason;
  return { ok: false, error: lastError, integrity };
}

export interface ServeHooks {
  store: BlobStore;
  /** True when this node holds exactly this version and may serve it. */
  servable(name: string, version: string): boolean;
  onInvalid(): void;
  onServe(): void;
  onBytes(bytes: number): void;
  /** Our copy failed verification (or vanished) while serving it. */
  onDamaged(name: string, version: string): void;
}

/**
 * The holder side of `fetch`: streams the requested version's body (verified by the store as it is
 * read), or resets the stream when the header is malformed or the version is not held here. A copy
 * found damaged mid-stream resets the stream too, so the puller's sha256 check never passes on it.
 */
export async function serveBody(
  stream: Duplex,
  header: unknown,
  context: HandlerContext,
  hooks: ServeHooks,
): Promise<void> {
  // The puller sends nothing; drain its side and never let a late reset become an uncaught error.
  stream.on('error', () => undefined);
  stream.resume();
  const parsed = fetchHeaderSchema.safeParse(header);
  if (!parsed.success) {
    hooks.onInvalid();
    stream.destroy();
    return;
  }
  const { name, version } = parsed.data;
  if (!hooks.servable(name, version)) {
    stream.destroy(new ReplicationError('ERR_NOT_FOUND', 'not held here'));
    return;
  }
  hooks.onServe();
  try {
    const body = await hooks.store.get(blobKey(name, version), { signal: context.signal });
    const counted = countingStage(hooks.onBytes);
    await pipeline(body, counted, stream);
  } catch (error) {
    stream.destroy();
    const code = errorCode(error);
    if (code === 'ERR_INTEGRITY' || code === 'ERR_NOT_FOUND') hooks.onDamaged(name, version);
  }
}

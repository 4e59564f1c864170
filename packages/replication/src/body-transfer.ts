/**
 * Moving one version's body from a holder into the local store, verified while it streams.
 *
 * The puller opens a `fetch` stream to a holder; the bytes flow through a counting stage straight
 * into `store.put(..., { expectedSha256 })`, so memory stays at a few stream buffers whatever the
 * size, and a body whose hash differs is rejected and leaves nothing. Readers waiting for the body
 * (pull-readers.ts) are teed from the same stream through a `VerifiedRelay` each, which holds the
 * last chunk back until the sha256 matched, so a reader never sees a clean end on corrupt data.
 *
 * Every attempt has deadlines (pull-deadline.ts): a holder must open the stream and start sending
 * within `openTimeoutMs`, and may then fall silent for at most `idleTimeoutMs`; otherwise it is
 * given up on (ERR_TIMEOUT) and the next holder tried. Readers still waiting when a holder fails
 * are served by the next one; a reader already streaming from the failed holder gets the error.
 */
import { PassThrough, Transform } from 'node:stream';
import type { Duplex } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Clock, HandlerContext, PeerInfo, Transport } from '@dfs/transport';
import { blobKey } from './blob-store.js';
import type { BlobStore } from './blob-store.js';
import { ReplicationError, errorCode, toReplicationError } from './errors.js';
import { PullDeadline } from './pull-deadline.js';
import type { DeadlinePhase, IdleVerdict } from './pull-deadline.js';
import type { PullReaders } from './pull-readers.js';
import type { VerifiedRelay } from './verified-relay.js';
import { PROTOCOLS, fetchHeaderSchema } from './wire.js';
import type { FetchHeader } from './wire.js';

export interface PullRequest {
  transport: Transport;
  clock: Clock;
  /** Where the verified body is kept; undefined streams to `readers` only and keeps nothing. */
  store: BlobStore | undefined;
  /** Holders to try, in order. */
  holders: readonly PeerInfo[];
  header: FetchHeader;
  size: number;
  sha256: string;
  maxBytes: number;
  signal: AbortSignal;
  /** See `ReplicationConfig.pullOpenTimeoutMs` and `pullIdleTimeoutMs`. */
  openTimeoutMs: number;
  idleTimeoutMs: number;
  /** Readers waiting for this body's bytes (see pull-readers.ts). */
  readers: PullReaders | undefined;
  /** Called with each chunk's length as it arrives (for metrics). */
  onBytes(bytes: number): void;
  /** A holder missed a deadline (for metrics and the log). */
  onTimeout(holder: PeerInfo, phase: DeadlinePhase): void;
  /** A holder was given up on, for whatever reason (the next pull tries it last). */
  onHolderFailed(holder: PeerInfo, error: unknown): void;
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

/**
 * Waits until `stream` has data, or ended (only right for an empty body); rejects if it errors or
 * closes first, or ends without the data a non-empty body needs.
 */
function firstBytes(stream: Duplex, signal: AbortSignal, size: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const cleanup = (): void => {
      stream.off('readable', onReadable);
      stream.off('error', onError);
      stream.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const onReadable = (): void => {
      cleanup();
      if (stream.readableLength > 0 || size === 0) resolve();
      else reject(new ReplicationError('ERR_INTEGRITY', 'holder ended the stream without data'));
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

/** One attempt at one holder, under its own deadlines; rejects with why it failed. */
async function pullFrom(request: PullRequest, holder: PeerInfo): Promise<void> {
  const { transport, header, clock, openTimeoutMs, idleTimeoutMs } = request;
  const attempt = new AbortController();
  const giveUp = (reason: unknown): void => {
    if (!attempt.signal.aborted) attempt.abort(reason);
  };
  const onOuterAbort = (): void => giveUp(request.signal.reason);
  request.signal.addEventListener('abort', onOuterAbort, { once: true });
  if (request.signal.aborted) onOuterAbort();
  let onIdle = (): IdleVerdict => 'abort';
  const timedOut = (phase: DeadlinePhase, ms: number): void => {
    request.onTimeout(holder, phase);
    giveUp(new ReplicationError('ERR_TIMEOUT', `holder ${holder.id} sent nothing for ${ms} ms`));
  };
  const deadline = new PullDeadline({
    clock,
    openTimeoutMs,
    idleTimeoutMs,
    onOpenExpired: () => timedOut('open', openTimeoutMs),
    onIdle: () => {
      const verdict = onIdle();
      if (verdict === 'abort') timedOut('idle', idleTimeoutMs);
      return verdict;
    },
  });
  request.readers?.attemptStarted(holder.id);
  let source: Duplex | undefined;
  try {
    source = await transport.openStream(holder.address, PROTOCOLS.fetch, header, {
      signal: attempt.signal,
      timeoutMs: openTimeoutMs,
    });
    const opened = source;
    // Failures surface through firstBytes, the store and the readers; an error emitted after the
    // waiter that would have heard it gave up must not become an uncaught exception.
    opened.on('error', () => undefined);
    attempt.signal.addEventListener('abort', () => opened.destroy(asError(attempt.signal.reason)), {
      once: true,
    });
    await pullThrough(request, opened, attempt.signal, deadline, (decide) => {
      onIdle = decide;
    });
  } catch (error) {
    // Our own deadline or stop is the real reason, whatever the stream reported on its way down.
    throw attempt.signal.aborted ? attempt.signal.reason : error;
  } finally {
    deadline.stop();
    request.signal.removeEventListener('abort', onOuterAbort);
    // We never write to a fetch stream; tear it down whatever happened so nothing lingers half-open.
    source?.destroy();
  }
}

async function pullThrough(
  request: PullRequest,
  source: Duplex,
  signal: AbortSignal,
  deadline: PullDeadline,
  setIdleDecision: (decide: () => IdleVerdict) => void,
): Promise<void> {
  const { store, header } = request;
  source.end();
  await firstBytes(source, signal, request.size);
  const counted = countingStage((n) => {
    request.onBytes(n);
    deadline.progress();
  });
  const expected = { size: request.size, sha256: request.sha256 };
  const relays = request.readers?.takeRelays(expected) ?? [];
  // Errors reach the store (it iterates `toStore`) and each reader's consumer; the listener only
  // keeps an error raised before the store attached from becoming an uncaught exception.
  const toStore = store === undefined ? undefined : new PassThrough().on('error', () => undefined);
  const sinks: (PassThrough | VerifiedRelay)[] =
    toStore === undefined ? relays : [toStore, ...relays];
  source.on('error', (error) => counted.destroy(error));
  source.on('close', () => {
    // A reset without an error would otherwise leave the body unfinished until the idle deadline.
    if (!source.readableEnded) {
      counted.destroy(new ReplicationError('ERR_UNAVAILABLE', 'holder closed the stream mid-body'));
    }
  });
  counted.on('error', (error) => {
    source.destroy();
    for (const sink of sinks) sink.destroy(error);
  });
  for (const sink of sinks) counted.pipe(sink);
  source.pipe(counted);
  setIdleDecision(() => {
    if (toStore?.writableNeedDrain === true) return 'wait'; // our disk is behind, not the holder
    const slow = relays.filter((relay) => relay.writableNeedDrain && !relay.destroyed);
    if (slow.length === 0) return 'abort';
    // A reader who takes no bytes must not hold the copy this node is making for itself.
    if (toStore !== undefined) {
      for (const relay of slow) {
        relay.destroy(new ReplicationError('ERR_TIMEOUT', 'the reader stopped taking bytes'));
      }
    }
    return 'wait';
  });

  if (store === undefined || toStore === undefined) {
    await readersDone(relays);
    return;
  }
  const key = blobKey(header.name, header.version);
  const putOptions = {
    expectedSha256: request.sha256,
    maxBytes: request.maxBytes,
    signal,
    metadata: { name: header.name, version: header.version, origin: 'pull' },
  };
  try {
    await store.put(key, toStore, putOptions);
  } catch (error) {
    const typed = asError(toReplicationError(error));
    for (const relay of relays) relay.destroy(typed);
    throw error;
  }
}

/**
 * Resolves once any reader got its whole, verified body; rejects if none did (with ERR_ABORTED when
 * they all simply left: that is no fault of the holder).
 */
async function readersDone(relays: readonly VerifiedRelay[]): Promise<void> {
  const results = await Promise.allSettled(
    relays.map((relay) => finished(relay, { readable: false })),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (results.some((r) => r.status === 'fulfilled') || failed === undefined) return;
  if (errorCode(failed.reason) === 'ERR_STREAM_PREMATURE_CLOSE') {
    throw new ReplicationError('ERR_ABORTED', 'every reader left', { cause: failed.reason });
  }
  throw failed.reason;
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/**
 * Tries each holder until one delivers a verified body (or, streaming to readers only, until no
 * reader is left waiting). Never throws.
 */
export async function pullBody(request: PullRequest): Promise<PullOutcome> {
  let lastError: unknown = new ReplicationError('ERR_NOT_FOUND', 'no live node holds this version');
  let integrity = false;
  for (const holder of request.holders) {
    if (request.signal.aborted) break;
    if (request.store === undefined && (request.readers?.waiting ?? 0) === 0) break;
    try {
      await pullFrom(request, holder);
      return { ok: true, from: holder };
    } catch (error) {
      lastError = error;
      if (errorCode(error) === 'ERR_INTEGRITY') integrity = true;
      if (!request.signal.aborted && errorCode(error) !== 'ERR_ABORTED') {
        request.onHolderFailed(holder, error);
      }
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
  /** The serve that `onServe` announced ended (finished, failed or reset). */
  onServeEnd(): void;
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
  } finally {
    hooks.onServeEnd();
  }
}

/**
 * Replication that overlaps the upload. While a put streams into the local store, the origin tees
 * the same bytes to up to `pushPeers` live peers over `push` streams; each peer stores them under the
 * version's key as they arrive. The origin ends the push streams only after its own store committed
 * (and destroys them if the upload fails or is aborted, so peers keep nothing). A peer records the
 * copy as local only once it knows the version's entry and the sha256 it computed while storing
 * matches the entry's — a pushed body is never trusted on its own.
 *
 * A slow peer slows the upload (backpressure over every tee branch keeps memory bounded); a peer
 * that fails is dropped from the tee and pulls later like any other node.
 */
import { PassThrough } from 'node:stream';
import type { Duplex, Readable } from 'node:stream';
import type { PeerInfo, Transport } from '@dfs/transport';
import { PROTOCOLS } from './wire.js';

export interface UploadTee {
  /** What the local store should consume. */
  readonly input: Readable;
  /** The upload committed locally: let peers commit too. */
  commit(): void;
  /** The upload failed: make every peer drop what it received. */
  abort(): void;
}

/** Opens push streams to `peers` (those that fail to open within `timeoutMs` are skipped). */
export async function openPushes(options: {
  transport: Transport;
  peers: readonly PeerInfo[];
  name: string;
  version: string;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<Duplex[]> {
  const { transport, name, version } = options;
  const opened = await Promise.allSettled(
    options.peers.map((peer) =>
      transport.openStream(
        peer.address,
        PROTOCOLS.push,
        { name, version },
        { signal: options.signal, timeoutMs: options.timeoutMs },
      ),
    ),
  );
  const streams: Duplex[] = [];
  for (const result of opened) {
    if (result.status !== 'fulfilled') continue;
    const stream = result.value;
    stream.on('error', () => undefined); // a failed peer only leaves the tee
    stream.resume(); // the peer sends nothing back; keep its side drained
    streams.push(stream);
  }
  return streams;
}

/** Tees `body` to the local store and to `pushes`, with backpressure on every branch. */
export function teeUpload(body: Readable, pushes: readonly Duplex[]): UploadTee {
  if (pushes.length === 0) return { input: body, commit() {}, abort() {} };
  const toStore = new PassThrough();
  // The store may not be iterating yet when the upload fails; it still sees the error (a destroyed
  // stream's iterator throws it), so this listener only keeps it from becoming uncaught.
  toStore.on('error', () => undefined);
  body.on('error', (error) => toStore.destroy(error));
  body.pipe(toStore);
  // `end: false`: a peer must not see a clean end before the origin committed.
  for (const push of pushes) body.pipe(push, { end: false });
  return {
    input: toStore,
    commit() {
      for (const push of pushes) if (!push.destroyed) push.end();
    },
    abort() {
      for (const push of pushes) {
        body.unpipe(push);
        push.destroy();
      }
    },
  };
}

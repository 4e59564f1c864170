/**
 * Replication that overlaps the upload, as a pipelined chain (as GFS and HDFS do). While a put
 * streams into the local store, the origin tees the same bytes into ONE push stream to the first
 * reachable node of its push targets; the stream's header names the rest of the chain, and each
 * receiver stores the bytes and relays them to the next reachable node while they arrive
 * (push-receiver.ts). So every node sends and receives each byte at most once, and the upload goes
 * at the pace of the slowest node rather than of the origin's slowest outgoing stream.
 *
 * Commit order: a node ends its downstream stream only once its upstream ended cleanly and it
 * committed (the origin: its index write; a relay: its store) and destroys it if the upload failed
 * or was aborted, so no node of the chain keeps anything of a failed upload. A receiver records the
 * copy as local only once it knows the version's entry and the sha256 it computed while storing
 * matches the entry's — a pushed body is never trusted on its own.
 *
 * After the commit (`replicateAfterCommit`, for a put nobody waits on beyond this node): the chain is
 * opened before the index write, so the targets expect the push before the announcement reaches
 * them, and the body is sent from the store once the put resolved (`sendCommitted`).
 *
 * A slow node slows the upload (backpressure over both branches of every tee keeps memory bounded);
 * a node whose stream fails is dropped from the chain, and it and the nodes after it pull later.
 */
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Duplex, Readable, Transform } from 'node:stream';
import type { PeerInfo, Transport } from '@dfs/transport';
import { MAX_PUSH_CHAIN, PROTOCOLS } from './wire.js';

export interface UploadTee {
  /** What the local store should consume. */
  readonly input: Readable;
  /** The upload committed locally: let the next node commit too. */
  commit(): void;
  /** The upload failed: make the next node (and so the rest of the chain) drop what it received. */
  abort(): void;
}

export interface OpenedChain {
  /** The push stream to the chain's head. */
  readonly stream: Duplex;
  /** The node it goes to. */
  readonly head: PeerInfo;
}

/**
 * Opens a push stream to the first of `candidates` that accepts within `timeoutMs`, its header
 * carrying the ids of the candidates after it (at most `MAX_PUSH_CHAIN`) as the rest of the chain.
 * Undefined when none accepts (they all pull later).
 */
export async function openPushChain(options: {
  transport: Transport;
  candidates: readonly PeerInfo[];
  name: string;
  version: string;
  timeoutMs: number;
  signal?: AbortSignal;
}): Promise<OpenedChain | undefined> {
  const { transport, candidates, name, version } = options;
  for (let i = 0; i < candidates.length; i++) {
    if (options.signal?.aborted === true) return undefined;
    const head = candidates[i]!;
    const chain = candidates.slice(i + 1, i + 1 + MAX_PUSH_CHAIN).map((p) => p.id);
    let stream: Duplex;
    try {
      stream = await transport.openStream(
        head.address,
        PROTOCOLS.push,
        { name, version, chain },
        { signal: options.signal, timeoutMs: options.timeoutMs },
      );
    } catch {
      continue; // not reachable in time: the next candidate heads the chain
    }
    stream.on('error', () => undefined); // a failed next node only leaves the tee
    stream.resume(); // it sends nothing back; keep its side drained
    return { stream, head };
  }
  return undefined;
}

/**
 * Sends a body this node already committed down a chain opened for it (`replicateAfterCommit`):
 * streams `body` (read back from the store) to the head and ends the stream, since nothing is left
 * to commit here. Resolves false, quietly, when the body cannot be read or the stream fails: the
 * nodes that did not get it pull it after the announcement.
 */
export async function sendCommitted(
  chain: OpenedChain,
  body: () => Promise<Readable>,
): Promise<boolean> {
  try {
    await pipeline(await body(), chain.stream);
    return true;
  } catch {
    chain.stream.destroy();
    return false;
  }
}

/**
 * Tees `body` to the local store (through `toStore`, a stage such as a byte counter, or a plain
 * PassThrough) and to `push`, with backpressure on both branches. Without a push the body goes to
 * `toStore` alone, or straight to the store when there is no stage either.
 */
export function teeUpload(
  body: Readable,
  push: Duplex | undefined,
  toStore?: Transform,
): UploadTee {
  if (push === undefined && toStore === undefined) {
    return { input: body, commit() {}, abort() {} };
  }
  const input = toStore ?? new PassThrough();
  // The store may not be iterating yet when the upload fails; it still sees the error (a destroyed
  // stream's iterator throws it), so this listener only keeps it from becoming uncaught.
  input.on('error', () => undefined);
  body.on('error', (error) => input.destroy(error));
  body.pipe(input);
  // `end: false`: the next node must not see a clean end before this one committed.
  if (push !== undefined) body.pipe(push, { end: false });
  return {
    input,
    commit() {
      if (push !== undefined && !push.destroyed) push.end();
    },
    abort() {
      if (push === undefined) return;
      body.unpipe(push);
      push.destroy();
    },
  };
}

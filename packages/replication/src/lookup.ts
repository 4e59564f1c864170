/**
 * Asking live peers about a name this node does not know (read, stat or delete of a name it has
 * not heard of yet, e.g. just after joining). Every answer is validated; the newest entry any peer
 * knows wins (LWW merge), so a 404 means no live peer knew a live version. Each answer passes the
 * receive-side rules (`admit`) before it competes, so one peer's far-future version cannot outrank
 * the honest answers and then be refused, leaving nothing.
 */
import type { PeerInfo, Transport } from '@dfs/transport';
import type { FileIndex, IndexEntry } from './file-index.js';
import { mergeEntries } from './merge.js';
import type { ReplicatedEntry } from './merge.js';
import { PROTOCOLS, lookupResponseSchema } from './wire.js';

export async function lookupFromPeers(options: {
  transport: Transport;
  peers: readonly PeerInfo[];
  name: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The answer as it may be merged, or undefined when it is refused (incoming.ts). */
  admit(entry: ReplicatedEntry, peer: PeerInfo): ReplicatedEntry | undefined;
  onInvalid(peer: PeerInfo): void;
}): Promise<ReplicatedEntry | undefined> {
  const { transport, name } = options;
  const answers = await Promise.allSettled(
    options.peers.map((peer) =>
      transport.request(
        peer.address,
        PROTOCOLS.lookup,
        { name },
        { signal: options.signal, timeoutMs: options.timeoutMs },
      ),
    ),
  );
  let newest: ReplicatedEntry | undefined;
  answers.forEach((answer, i) => {
    if (answer.status !== 'fulfilled') return;
    const parsed = lookupResponseSchema.safeParse(answer.value);
    const entry = parsed.success ? parsed.data.entry : undefined;
    if (entry === undefined || (entry !== null && entry.name !== name)) {
      options.onInvalid(options.peers[i] as PeerInfo);
      return;
    }
    if (entry === null) return;
    const admitted = options.admit(entry, options.peers[i] as PeerInfo);
    if (admitted !== undefined)
      newest = newest === undefined ? admitted : mergeEntries(newest, admitted);
  });
  return newest;
}

/**
 * The durable entry for `name`, or on a miss (read, stat or delete of a name this node has not heard
 * of) the newest entry any live peer knows, applied locally first (`apply`: decided and written like
 * any incoming entry) and returned once durable. Nothing is asked once the engine is not running.
 */
export async function findEntry(options: {
  index: FileIndex;
  name: string;
  running: boolean;
  signal?: AbortSignal;
  ask(name: string, signal: AbortSignal | undefined): Promise<ReplicatedEntry | undefined>;
  apply(entry: ReplicatedEntry): Promise<void>;
}): Promise<IndexEntry | undefined> {
  const { index, name } = options;
  const local = index.committed(name);
  if (local !== undefined || !options.running) return local;
  const newest = await options.ask(name, options.signal);
  if (newest !== undefined) await options.apply(newest);
  // The entry may already be on its way to disk (an announcement or a sync got here first).
  if (index.committed(name) === undefined && index.get(name) !== undefined) {
    await index.settled();
  }
  return index.committed(name);
}

/**
 * Asking live peers about a name this node does not know (read, stat or delete of a name it has
 * not heard of yet, e.g. just after joining). Every answer is validated; the newest entry any peer
 * knows wins (LWW merge), so a 404 means no live peer knew a live version. Each answer passes the
 * receive-side rules (`admit`) before it competes, so one peer's far-future version cannot outrank
 * the honest answers and then be refused, leaving nothing.
 */
import type { PeerInfo, Transport } from '@dfs/transport';
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

import type { PeerInfo, Random } from '@dfs/transport';
import { sample } from '@dfs/transport';

/**
 * Up to `count` distinct peers chosen uniformly at random from the caller's membership view, never
 * `selfId` (a view that includes this node by mistake must not make it gossip to itself).
 */
export function selectPeers(
  random: Random,
  view: readonly PeerInfo[],
  count: number,
  selfId: string,
): PeerInfo[] {
  const candidates = view.some((p) => p.id === selfId) ? view.filter((p) => p.id !== selfId) : view;
  return sample(random, candidates, count);
}

/** A 64-bit random message id as 16 hex digits, drawn from the injected Random (reproducible). */
export function randomMessageId(random: Random): string {
  const part = (): string =>
    Math.floor(random.next() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return part() + part();
}

/**
 * Which connection carries calls to whom: the one usable connection per peer id, and the addresses
 * that lead to it (the ones peers advertise and the ones we dialled ourselves).
 */
import type { PeerInfo } from '../types.js';
import type { PeerConnection } from './connection.js';

export class PeerRoutes {
  readonly #byPeerId = new Map<string, PeerConnection>();
  readonly #byAddress = new Map<string, PeerConnection>();

  /** The routed connection to `address`, when it can take a new call. */
  usableFor(address: string): PeerConnection | undefined {
    const routed = this.#byAddress.get(address);
    if (routed !== undefined && routed.isReady && !routed.isDraining) return routed;
    return undefined;
  }

  /** The routed connection to peer `peerId`, usable or not. */
  forPeer(peerId: string): PeerConnection | undefined {
    return this.#byPeerId.get(peerId);
  }

  /** The peers with a routed connection. */
  peers(): PeerInfo[] {
    const peers: PeerInfo[] = [];
    for (const connection of this.#byPeerId.values()) {
      if (connection.peer !== undefined) peers.push(connection.peer);
    }
    return peers;
  }

  /** After a dial, the connection calls should use (a simultaneous dial may have won). */
  preferred(connection: PeerConnection): PeerConnection {
    const peer = connection.peer as PeerInfo;
    const routed = this.#byPeerId.get(peer.id);
    return routed !== undefined && routed.isReady && !routed.isDraining ? routed : connection;
  }

  route(connection: PeerConnection): void {
    const peer = connection.peer as PeerInfo;
    this.#byPeerId.set(peer.id, connection);
    // An advertised address is only a claim: it never takes over an address already served by
    // another live peer (addresses we dialled ourselves are facts and always route).
    const current = this.#byAddress.get(peer.address);
    if (
      current === undefined ||
      current.peer?.id === peer.id ||
      !current.isReady ||
      current.isDraining
    ) {
      this.#byAddress.set(peer.address, connection);
    }
    if (connection.dialAddress !== undefined)
      this.#byAddress.set(connection.dialAddress, connection);
  }

  unroute(connection: PeerConnection): void {
    const peer = connection.peer;
    if (peer === undefined) return;
    if (this.#byPeerId.get(peer.id) === connection) this.#byPeerId.delete(peer.id);
    for (const key of [peer.address, connection.dialAddress]) {
      if (key !== undefined && this.#byAddress.get(key) === connection) this.#byAddress.delete(key);
    }
  }
}

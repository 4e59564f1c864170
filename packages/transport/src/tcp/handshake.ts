import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The first bytes of every peer connection. 0xF0 is neither an ASCII letter (every HTTP method,
 * and the HTTP/2 preface "PRI", start with one) nor 0x16 (a TLS record), so one byte is enough
 * for a node sharing its port with HTTP to tell the protocols apart.
 */
export const PEER_PROTOCOL_MAGIC = Buffer.from([0xf0, 0x64, 0x66, 0x73]); // 0xF0 "dfs"

/**
 * 2: with a secret and no TLS, every frame after the handshake carries an authentication tag
 * (frame-auth.ts). Peers only talk at equal versions.
 */
export const PROTOCOL_VERSION = 2;

/**
 * True when `firstBytes` starts like a peer connection. Needs at least one byte; every byte
 * present (up to four) must match the magic.
 */
export function isPeerProtocol(firstBytes: Uint8Array): boolean {
  if (firstBytes.length === 0) return false;
  const n = Math.min(firstBytes.length, PEER_PROTOCOL_MAGIC.length);
  for (let i = 0; i < n; i++) if (firstBytes[i] !== PEER_PROTOCOL_MAGIC[i]) return false;
  return true;
}

export type HandshakeRole = 'dialer' | 'acceptor';

export function newNonce(): Buffer {
  return randomBytes(32);
}

/**
 * What each side sends to prove it holds the cluster secret:
 *
 *     HMAC-SHA256(secret, "dfs/2 " role | dialerNonce | acceptorNonce | dialerId 0x00 acceptorId 0x00 clusterId)
 *
 * Fresh nonces from both sides make a recorded proof useless later; the role label stops a peer
 * from reflecting our own proof back at us; the ids bind the proof to this pair. Without a
 * secret the key is empty, so a node with a secret and one without never agree.
 */
export function handshakeProof(params: {
  secret: string | undefined;
  role: HandshakeRole;
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
  dialerId: string;
  acceptorId: string;
  clusterId: string;
}): Buffer {
  const hmac = createHmac('sha256', params.secret ?? '');
  hmac.update(`dfs/${PROTOCOL_VERSION} ${params.role}`);
  hmac.update(params.dialerNonce);
  hmac.update(params.acceptorNonce);
  hmac.update(`${params.dialerId}\u0000${params.acceptorId}\u0000${params.clusterId}`);
  return hmac.digest();
}

export function proofsMatch(expected: Buffer, received: Uint8Array): boolean {
  return received.length === expected.length && timingSafeEqual(expected, received);
}

import { createCipheriv, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { HandshakeRole } from './handshake.js';

/**
 * Frame authentication for plain-TCP connections of a cluster with a secret (docs/protocol.md §2.1).
 * The handshake proves both sides know the secret; without this, nothing would tie the frames that
 * follow to that proof, and anyone on the path could inject or alter them. Each direction gets its
 * own key, derived from the secret and both handshake nonces:
 *
 *     key = HKDF-SHA256(ikm = secret, salt = n_d ‖ n_a,
 *                       info = "dfs/2 frames " direction 0x00 id_d 0x00 id_a 0x00 cluster, 32 bytes)
 *
 * and every frame after the handshake carries the 16-byte Poly1305 tag of a ChaCha20-Poly1305
 * (RFC 8439) encryption of nothing, with the frame as additional data:
 *
 *     tag = ChaCha20-Poly1305(key, nonce = 0x00000000 ‖ u64be seq, aad = u8 type ‖ payload, "").tag
 *
 * where `seq` counts the frames sent in that direction from 0, so no (key, nonce) pair is ever used
 * twice. Fresh nonces make the keys unique to the connection (a frame spliced in from another one
 * fails), the sequence number makes a replayed, dropped or reordered frame fail, and separate keys
 * per direction stop reflection. Poly1305 costs about a third of HMAC-SHA256 per 64 KiB data frame
 * here (docs/performance.md).
 */
export const FRAME_TAG_BYTES = 16;

export interface FrameKeys {
  /** Key for the frames this side sends. */
  send: Buffer;
  /** Key for the frames this side receives. */
  receive: Buffer;
}

export function deriveFrameKeys(params: {
  secret: string;
  role: HandshakeRole;
  dialerNonce: Uint8Array;
  acceptorNonce: Uint8Array;
  dialerId: string;
  acceptorId: string;
  clusterId: string;
}): FrameKeys {
  const salt = Buffer.concat([params.dialerNonce, params.acceptorNonce]);
  const key = (direction: string): Buffer =>
    Buffer.from(
      hkdfSync(
        'sha256',
        params.secret,
        salt,
        `dfs/2 frames ${direction}\u0000${params.dialerId}\u0000${params.acceptorId}\u0000${params.clusterId}`,
        32,
      ),
    );
  const fromDialer = key('dialer>acceptor');
  const fromAcceptor = key('acceptor>dialer');
  return params.role === 'dialer'
    ? { send: fromDialer, receive: fromAcceptor }
    : { send: fromAcceptor, receive: fromDialer };
}

const EMPTY_PLAINTEXT = { plaintextLength: 0 } as const;

/** One direction's tags: the key and the sequence number of the next frame. */
class FrameTagger {
  readonly #key: Buffer;
  /** 4 zero bytes, then the sequence number of the next frame (u64 big-endian). */
  readonly #nonce = Buffer.alloc(12);
  readonly #type = Buffer.alloc(1);
  #seq = 0n;

  constructor(key: Buffer) {
    this.#key = key;
  }

  /** The tag of the next frame, over its type and payload pieces (not copied). */
  protected tagNext(type: number, pieces: readonly Uint8Array[]): Buffer {
    this.#nonce.writeBigUInt64BE(this.#seq, 4);
    this.#seq++;
    this.#type[0] = type;
    const cipher = createCipheriv('chacha20-poly1305', this.#key, this.#nonce, {
      authTagLength: FRAME_TAG_BYTES,
    });
    // Node types chacha20-poly1305 with the CCM ciphers; the plaintext length only matters to CCM.
    cipher.setAAD(this.#type, EMPTY_PLAINTEXT);
    for (const piece of pieces) cipher.setAAD(piece, EMPTY_PLAINTEXT);
    cipher.final();
    return cipher.getAuthTag();
  }
}

export class FrameSealer extends FrameTagger {
  /**
   * Seals an encoded frame (`u32 length | u8 type | payload`): adds the tag's size to its length
   * field, in place, and returns the tag to write right after it.
   */
  sealEncoded(frame: Buffer): Buffer {
    frame.writeUInt32BE(frame.readUInt32BE(0) + FRAME_TAG_BYTES, 0);
    return this.tagNext(frame[4] as number, [frame.subarray(5)]);
  }

  /** The tag of a data frame whose header (length already counting the tag) and data go out apart. */
  sealData(header: Buffer, data: Uint8Array): Buffer {
    return this.tagNext(header[4] as number, [header.subarray(5), data]);
  }
}

export class FrameVerifier extends FrameTagger {
  /**
   * True when `tag` is the next frame's, over its type and its payload (`payload`'s pieces in
   * order); a mismatch must close the connection.
   */
  verify(type: number, payload: readonly Uint8Array[], tag: Uint8Array): boolean {
    const expected = this.tagNext(type, payload);
    return tag.length === FRAME_TAG_BYTES && timingSafeEqual(expected, tag);
  }
}

import { TransportError } from '../errors.js';
import type { PeerInfo } from '../types.js';
import {
  PEER_PROTOCOL_MAGIC,
  PROTOCOL_VERSION,
  handshakeProof,
  newNonce,
  proofsMatch,
  type HandshakeRole,
} from './handshake.js';
import { deriveFrameKeys, type FrameKeys } from './frame-auth.js';
import { controlFrame, type HandshakeMessage, type HelloMessage } from './messages.js';

export interface HandshakeIdentity {
  id: string;
  address: string;
  clusterId: string;
  secret: string | undefined;
}

/** What the connection must do after a handshake message. */
export type HandshakeStep =
  | { kind: 'send'; bytes: Buffer }
  /** Done. `frameKeys`: when the cluster has a secret, the keys for authenticating frames (frame-auth.ts). */
  | { kind: 'ready'; peer: PeerInfo; frameKeys: FrameKeys | undefined }
  /** We refuse the peer (counted, logged, told with a reject frame). */
  | { kind: 'refuse'; code: string; message: string }
  /** The peer refused us. */
  | { kind: 'refused'; code: string; message: string };

/**
 * The handshake as a state machine with no I/O (see docs/protocol.md §3): the connection feeds it
 * validated messages and carries out the steps it returns.
 *
 *     dialer:   opening() → hello+magic;  on hello → send auth;  on auth → ready
 *     acceptor: on hello → send magic+hello+auth;  on auth → ready
 */
export class HandshakeState {
  readonly role: HandshakeRole;
  readonly #self: HandshakeIdentity;
  readonly #localNonce = newNonce();
  #phase: 'hello' | 'auth' | 'done' = 'hello';
  #remoteHello: HelloMessage | undefined;
  #sentMagic = false;

  constructor(role: HandshakeRole, self: HandshakeIdentity) {
    this.role = role;
    this.#self = self;
  }

  /** True once our magic went out: a reject frame we send now needs no magic in front. */
  get sentMagic(): boolean {
    return this.#sentMagic;
  }

  /** The dialer's first bytes: magic and hello. */
  opening(): Buffer {
    this.#sentMagic = true;
    return Buffer.concat([PEER_PROTOCOL_MAGIC, this.#hello()]);
  }

  receive(message: HandshakeMessage): HandshakeStep {
    switch (message.t) {
      case 'reject':
        return { kind: 'refused', code: message.code, message: message.m };
      case 'hello':
        return this.#receiveHello(message);
      case 'auth':
        return this.#receiveAuth(message.p);
    }
  }

  #receiveHello(hello: HelloMessage): HandshakeStep {
    if (this.#phase !== 'hello') throw unexpected('hello');
    const { clusterId, id } = this.#self;
    if (hello.v !== PROTOCOL_VERSION) {
      return refuse(
        'ERR_PROTOCOL_VERSION',
        `peer speaks version ${hello.v}, we speak ${PROTOCOL_VERSION}`,
      );
    }
    if (hello.c !== clusterId) {
      return refuse(
        'ERR_CLUSTER_MISMATCH',
        `peer is in cluster "${hello.c}", we are in "${clusterId}"`,
      );
    }
    if (hello.id === id) return refuse('ERR_HANDSHAKE', 'connected to ourselves');
    this.#remoteHello = hello;
    this.#phase = 'auth';
    const auth = controlFrame({ t: 'auth', p: this.#proof(this.role) });
    if (this.role === 'dialer') return { kind: 'send', bytes: auth };
    this.#sentMagic = true;
    return { kind: 'send', bytes: Buffer.concat([PEER_PROTOCOL_MAGIC, this.#hello(), auth]) };
  }

  #receiveAuth(proof: Uint8Array): HandshakeStep {
    if (this.#phase !== 'auth') throw unexpected('auth');
    const remoteRole: HandshakeRole = this.role === 'dialer' ? 'acceptor' : 'dialer';
    if (!proofsMatch(this.#proof(remoteRole), proof)) {
      return refuse('ERR_AUTH', 'the peer does not know the cluster secret');
    }
    this.#phase = 'done';
    const hello = this.#remoteHello as HelloMessage;
    return {
      kind: 'ready',
      peer: Object.freeze({ id: hello.id, address: hello.a }),
      frameKeys: this.#frameKeys(),
    };
  }

  #frameKeys(): FrameKeys | undefined {
    const secret = this.#self.secret;
    if (secret === undefined) return undefined;
    const remote = this.#remoteHello as HelloMessage;
    const dialer = this.role === 'dialer';
    return deriveFrameKeys({
      secret,
      role: this.role,
      dialerNonce: dialer ? this.#localNonce : remote.n,
      acceptorNonce: dialer ? remote.n : this.#localNonce,
      dialerId: dialer ? this.#self.id : remote.id,
      acceptorId: dialer ? remote.id : this.#self.id,
      clusterId: this.#self.clusterId,
    });
  }

  #hello(): Buffer {
    const { clusterId, id, address } = this.#self;
    return controlFrame({
      t: 'hello',
      v: PROTOCOL_VERSION,
      c: clusterId,
      id,
      a: address,
      n: this.#localNonce,
    });
  }

  #proof(role: HandshakeRole): Buffer {
    const remote = this.#remoteHello as HelloMessage;
    const dialer = this.role === 'dialer';
    return handshakeProof({
      secret: this.#self.secret,
      role,
      dialerNonce: dialer ? this.#localNonce : remote.n,
      acceptorNonce: dialer ? remote.n : this.#localNonce,
      dialerId: dialer ? this.#self.id : remote.id,
      acceptorId: dialer ? remote.id : this.#self.id,
      clusterId: this.#self.clusterId,
    });
  }
}

function refuse(code: string, message: string): HandshakeStep {
  return { kind: 'refuse', code, message };
}

function unexpected(what: string): TransportError {
  return new TransportError('ERR_MALFORMED_FRAME', `unexpected ${what} message in the handshake`);
}

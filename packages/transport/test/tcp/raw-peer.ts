import net from 'node:net';
import {
  FrameDecoder,
  FrameType,
  PEER_PROTOCOL_MAGIC,
  PROTOCOL_VERSION,
  type Frame,
} from '../../src/index.js';
import { decodeValue } from '../../src/codec.js';
import { deriveFrameKeys, type FrameKeys } from '../../src/tcp/frame-auth.js';
import { handshakeProof, newNonce } from '../../src/tcp/handshake.js';
import { controlFrame } from '../../src/tcp/messages.js';
import type { TransportLogger } from '../../src/index.js';

/** A logger that records what it was told, for "logged once with a reason" assertions. */
export function recordingLogger(): TransportLogger & {
  warnings: { code?: string; message?: string }[];
} {
  const warnings: { code?: string; message?: string }[] = [];
  return {
    warnings,
    debug: () => undefined,
    info: () => undefined,
    warn: (object, message) => void warnings.push({ ...(object as { code?: string }), message }),
    error: () => undefined,
  };
}

/** A bare socket to `port` on loopback, from `localAddress` (any 127.x.y.z) when given. */
export function connectRaw(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(
      { host: '127.0.0.1', port, ...(localAddress !== undefined ? { localAddress } : {}) },
      () => resolve(socket),
    );
    socket.once('error', reject);
  });
}

export function closed(socket: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

/**
 * Collects the control messages a raw socket receives after the peer's magic (or, with
 * `afterHandshake`, from now on: the socket of a `rawHandshake`). Data frames are skipped.
 */
export function readControl(
  socket: net.Socket,
  options: { afterHandshake?: boolean } = {},
): unknown[] {
  const messages: unknown[] = [];
  const decoder = new FrameDecoder(1 << 24, () => undefined);
  let skipped = options.afterHandshake === true ? 4 : 0;
  socket.on('data', (chunk: Buffer) => {
    let rest = chunk;
    if (skipped < 4) {
      const take = Math.min(4 - skipped, rest.length);
      skipped += take;
      rest = rest.subarray(take);
    }
    decoder.push(rest, (frame: Frame) => {
      if (frame.type === FrameType.Control) messages.push(decodeValue(frame.payload));
    });
  });
  socket.on('error', () => undefined);
  return messages;
}

/**
 * Speaks the dialer's side of the handshake by hand, so tests can misbehave after it.
 * Resolves with the socket once the acceptor's proof has arrived and ours is sent.
 */
export async function rawHandshake(
  port: number,
  options: { id: string; clusterId: string; secret?: string },
): Promise<net.Socket> {
  return (await rawHandshakeWithKeys(port, options)).socket;
}

/** `rawHandshake`, also returning the frame keys the handshake set up (when there is a secret). */
export async function rawHandshakeWithKeys(
  port: number,
  options: { id: string; clusterId: string; secret?: string },
): Promise<{ socket: net.Socket; keys: FrameKeys | undefined }> {
  const socket = await connectRaw(port);
  let keys: FrameKeys | undefined;
  const nonce = newNonce();
  socket.write(
    Buffer.concat([
      PEER_PROTOCOL_MAGIC,
      controlFrame({
        t: 'hello',
        v: PROTOCOL_VERSION,
        c: options.clusterId,
        id: options.id,
        a: 'raw:1',
        n: nonce,
      }),
    ]),
  );
  const decoder = new FrameDecoder(1 << 20);
  let buffered = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    let hello: { id: string; n: Uint8Array } | undefined;
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 4) return;
      const rest = buffered.subarray(4);
      buffered = Buffer.alloc(4);
      decoder.push(rest, (frame) => {
        const message = decodeValue(frame.payload) as { t: string; id: string; n: Uint8Array };
        if (message.t === 'hello') hello = message;
        if (message.t === 'auth' && hello !== undefined) {
          const proof = handshakeProof({
            secret: options.secret,
            role: 'dialer',
            dialerNonce: nonce,
            acceptorNonce: hello.n,
            dialerId: options.id,
            acceptorId: hello.id,
            clusterId: options.clusterId,
          });
          socket.write(controlFrame({ t: 'auth', p: proof }));
          if (options.secret !== undefined) {
            keys = deriveFrameKeys({
              secret: options.secret,
              role: 'dialer',
              dialerNonce: nonce,
              acceptorNonce: hello.n,
              dialerId: options.id,
              acceptorId: hello.id,
              clusterId: options.clusterId,
            });
          }
          socket.off('data', onData);
          resolve();
        }
        if (message.t === 'reject') reject(new Error(JSON.stringify(message)));
      });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during handshake')));
  });
  return { socket, keys };
}

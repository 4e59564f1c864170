import { createDecipheriv, randomBytes } from 'node:crypto';
import type net from 'node:net';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { FRAME_TAG_BYTES, FrameSealer, FrameVerifier } from '../src/tcp/frame-auth.js';
import { controlFrame } from '../src/tcp/messages.js';
import { pollUntil } from './compliance/real-time.js';
import { closed, rawHandshakeWithKeys, recordingLogger } from './tcp/raw-peer.js';
import { portOf, startedTransports } from './tcp/started.js';

const SECRET = 'correct horse battery staple';
const start = startedTransports();

/** A server with the secret that counts one-way `count` messages, and a raw peer that knows it. */
async function serverAndRawPeer() {
  const logger = recordingLogger();
  const server = await start({ id: 'server', secret: SECRET, logger });
  let handled = 0;
  server.handle('count', () => void handled++);
  const connect = async (id: string): Promise<{ socket: net.Socket; sealer: FrameSealer }> => {
    const { socket, keys } = await rawHandshakeWithKeys(portOf(server), {
      id,
      clusterId: 'dfs',
      secret: SECRET,
    });
    socket.on('error', () => undefined);
    socket.resume();
    return { socket, sealer: new FrameSealer((keys as { send: Buffer }).send) };
  };
  /** A `count` message sealed as the next frame of `sealer`'s direction: [frame, tag]. */
  const sealed = (sealer: FrameSealer): Buffer => {
    const frame = controlFrame({ t: 'msg', p: 'count', b: null });
    return Buffer.concat([frame, sealer.sealEncoded(frame)]);
  };
  return { server, logger, connect, sealed, handled: () => handled };
}

/** Whether `tag` is the protocol.md §2.1 tag of frame number `seq` — checked by decrypting. */
function isSpecTag(key: Buffer, seq: number, type: number, payload: Buffer, tag: Buffer): boolean {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(seq), 4);
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, {
    authTagLength: FRAME_TAG_BYTES,
  });
  decipher.setAAD(Buffer.concat([Buffer.from([type]), payload]), { plaintextLength: 0 });
  decipher.setAuthTag(tag);
  try {
    return decipher.final().length === 0;
  } catch {
    return false;
  }
}

describe('frame tags (docs/protocol.md §2.1)', () => {
  it('are ChaCha20-Poly1305 tags of an empty plaintext: nonce 0x00000000 ‖ u64be seq, aad type ‖ payload', () => {
    const key = randomBytes(32);
    const sealer = new FrameSealer(key);
    const verifier = new FrameVerifier(key);
    for (let seq = 0; seq < 3; seq++) {
      const frame = controlFrame({ t: 'msg', p: 'count', b: seq });
      const tag = sealer.sealEncoded(frame);
      const payload = frame.subarray(5);
      expect(tag.length).toBe(FRAME_TAG_BYTES);
      expect(isSpecTag(key, seq, frame[4] as number, payload, tag)).toBe(true);
      expect(isSpecTag(key, seq + 1, frame[4] as number, payload, tag)).toBe(false);
      expect(verifier.verify(frame[4] as number, [payload], tag)).toBe(true);
    }
  });
});

describe('frame authentication on plain TCP with a cluster secret', () => {
  it('a frame without a tag after the handshake closes the connection with ERR_FRAME_AUTH and is not handled', async () => {
    const { server, logger, connect, handled } = await serverAndRawPeer();
    const { socket } = await connect('forger');
    socket.write(controlFrame({ t: 'msg', p: 'count', b: null }));
    await closed(socket);
    expect(server.stats().rejects.ERR_FRAME_AUTH).toBe(1);
    expect(handled()).toBe(0);
    expect(logger.warnings).toContainEqual(expect.objectContaining({ code: 'ERR_FRAME_AUTH' }));
  });

  it('accepts correctly tagged frames, and closes the connection on a replayed one', async () => {
    const { server, connect, sealed, handled } = await serverAndRawPeer();
    const { socket, sealer } = await connect('replayer');
    const first = sealed(sealer);
    socket.write(first);
    socket.write(sealed(sealer));
    await pollUntil(() => handled() === 2);
    socket.write(first); // byte for byte a frame the server already took
    await closed(socket);
    expect(server.stats().rejects.ERR_FRAME_AUTH).toBe(1);
    expect(handled()).toBe(2);
  });

  it('closes the connection on an altered frame, a reordered one, and one spliced from another connection', async () => {
    const { server, connect, sealed, handled } = await serverAndRawPeer();

    const altered = await connect('alterer');
    const frame = sealed(altered.sealer);
    frame[frame.length - 20] = (frame[frame.length - 20] as number) ^ 0x01; // a payload byte
    altered.socket.write(frame);
    await closed(altered.socket);

    const reordered = await connect('reorderer');
    const seq0 = sealed(reordered.sealer);
    const seq1 = sealed(reordered.sealer);
    reordered.socket.write(seq1);
    reordered.socket.write(seq0);
    await closed(reordered.socket);

    const donor = await connect('donor');
    const target = await connect('target');
    target.socket.write(sealed(donor.sealer)); // valid on donor's connection, not on this one
    await closed(target.socket);

    expect(server.stats().rejects.ERR_FRAME_AUTH).toBe(3);
    expect(handled()).toBe(0);
    donor.socket.destroy();
  });

  it('two nodes with the secret still exchange requests and a 4 MiB stream intact', async () => {
    const a = await start({ id: 'a', secret: SECRET });
    const b = await start({ id: 'b', secret: SECRET });
    b.handle('echo', (message) => message);
    let received = 0;
    b.handleStream('sink', (stream) => {
      void pipeline(
        stream,
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            received += chunk.length;
            callback();
          },
        }),
      ).then(() => stream.end());
    });
    expect(await a.request(b.address, 'echo', { hello: 'world' })).toEqual({ hello: 'world' });
    const stream = await a.openStream(b.address, 'sink', null);
    stream.resume();
    const chunk = Buffer.alloc(64 * 1024, 7);
    await pipeline(Readable.from(Array.from({ length: 64 }, () => chunk)), stream);
    await pollUntil(() => received === 4 * 1024 * 1024);
    expect(a.stats().rejects).toEqual({});
    expect(b.stats().rejects).toEqual({});
  });
});

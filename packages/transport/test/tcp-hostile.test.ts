import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameType,
  PEER_PROTOCOL_MAGIC,
  VirtualClock,
  encodeFrame,
  type TcpTransportOptions,
} from '../src/index.js';
import { controlFrame } from '../src/tcp/messages.js';
import { pollUntil } from './compliance/real-time.js';
import { closed, connectRaw, rawHandshake, recordingLogger } from './tcp/raw-peer.js';
import { portOf, startedTransports } from './tcp/started.js';

const start = startedTransports();

/** A server on a virtual clock (so deadlines fire when the test says) and a well-behaved client. */
async function serverAndClient(options: Partial<TcpTransportOptions> = {}) {
  const clock = new VirtualClock(0);
  const logger = recordingLogger();
  const server = await start({
    id: 'server',
    clock,
    logger,
    handshakeTimeoutMs: 5_000,
    ...options,
  });
  server.handle('ping', () => 'pong');
  const client = await start({ id: 'client' });
  const stillServes = async (): Promise<void> => {
    expect(await client.request(server.address, 'ping', null)).toBe('pong');
  };
  return { clock, logger, server, stillServes };
}

describe('TcpTransport under hostile input', () => {
  it('closes connections that send random bytes, counting each and logging each reason, and keeps serving', async () => {
    const { clock, logger, server, stillServes } = await serverAndClient();
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.uint8Array({ minLength: 1, maxLength: 2_000 }),
        async (withMagic, noise) => {
          runs++;
          const socket = await connectRaw(portOf(server));
          socket.on('error', () => undefined);
          socket.resume();
          socket.write(withMagic ? Buffer.concat([PEER_PROTOCOL_MAGIC, noise]) : noise);
          // Either the bytes are rejected outright, or they are an incomplete frame that the
          // handshake deadline cuts off.
          await pollUntil(() => socket.destroyed || server.stats().handshaking > 0);
          if (!socket.destroyed) await clock.advance(5_000);
          await closed(socket);
        },
      ),
      { numRuns: 25 },
    );
    await pollUntil(() => server.stats().handshaking === 0);
    const rejected = Object.values(server.stats().rejects).reduce((a, b) => a + b, 0);
    expect(rejected).toBe(runs);
    // Every reason is logged, but repeats within the interval only as a count (rate-limited).
    const reasons = new Set(logger.warnings.map((w) => w.code));
    expect(reasons).toEqual(new Set(Object.keys(server.stats().rejects)));
    expect(logger.warnings.length).toBeLessThanOrEqual(runs);
    expect(
      logger.warnings.every((w) => typeof w.code === 'string' && w.message !== undefined),
    ).toBe(true);
    await stillServes();
  });

  it('closes a connection announcing a 4 GiB frame without buffering it', async () => {
    const { server, stillServes } = await serverAndClient();
    const socket = await connectRaw(portOf(server));
    socket.on('error', () => undefined);
    socket.resume();
    socket.write(
      Buffer.concat([PEER_PROTOCOL_MAGIC, Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3])]),
    );
    await closed(socket);
    expect(server.stats().rejects.ERR_FRAME_TOO_LARGE).toBe(1);
    // Before authentication even 64 KiB is too much: nobody unauthenticated gets to make us buffer.
    const early = await connectRaw(portOf(server));
    early.on('error', () => undefined);
    early.resume();
    const header = Buffer.alloc(5);
    header.writeUInt32BE(64 * 1024 + 1, 0);
    header[4] = FrameType.Control;
    early.write(Buffer.concat([PEER_PROTOCOL_MAGIC, header]));
    await closed(early);
    expect(server.stats().rejects.ERR_FRAME_TOO_LARGE).toBe(2);
    // After a completed handshake the configured limit applies.
    const authed = await rawHandshake(portOf(server), { id: 'evil', clusterId: 'dfs' });
    authed.on('error', () => undefined);
    authed.resume();
    authed.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 1]));
    await closed(authed);
    expect(server.stats().rejects.ERR_FRAME_TOO_LARGE).toBe(3);
    await stillServes();
  });

  it('drops half-open connections at the handshake deadline while serving others', async () => {
    const { clock, logger, server, stillServes } = await serverAndClient();
    const sockets = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const socket = await connectRaw(portOf(server));
        socket.on('error', () => undefined);
        socket.resume();
        if (i % 2 === 0) socket.write(PEER_PROTOCOL_MAGIC); // some get as far as the magic
        return socket;
      }),
    );
    await pollUntil(() => server.stats().handshaking === 6);
    await stillServes();
    await clock.advance(5_000);
    await Promise.all(sockets.map(closed));
    expect(server.stats().handshaking).toBe(0);
    expect(server.stats().rejects.ERR_HANDSHAKE_TIMEOUT).toBe(6);
    // One line at once, one summary with the count at the end of the interval.
    const timeouts = () => logger.warnings.filter((w) => w.code === 'ERR_HANDSHAKE_TIMEOUT');
    expect(timeouts()).toHaveLength(1);
    await clock.advance(10_000);
    expect(timeouts()).toEqual([
      expect.objectContaining({ code: 'ERR_HANDSHAKE_TIMEOUT' }),
      expect.objectContaining({ code: 'ERR_HANDSHAKE_TIMEOUT', suppressed: 5 }),
    ]);
    await stillServes();
  });

  it('closes an authenticated connection that sends an invalid control message, touching nothing', async () => {
    const { server, stillServes } = await serverAndClient();
    let handled = 0;
    server.handle('count', () => void handled++);
    const garbage = [
      controlFrame({ t: 'hello', v: 1, c: 'dfs', id: 'x', a: 'x:1', n: Buffer.alloc(32) }),
      encodeFrame(FrameType.Control, Buffer.from([0xc1])), // msgpack "never used" byte
      encodeFrame(FrameType.Control, Buffer.from([0x81, 0xa1, 0x74, 0xa3, 0x72, 0x65, 0x71])), // {t:'req'} without id
      encodeFrame(FrameType.Data, Buffer.from([0, 0])), // data frame shorter than its stream id
    ];
    for (const [i, frame] of garbage.entries()) {
      const socket = await rawHandshake(portOf(server), { id: `evil${i}`, clusterId: 'dfs' });
      socket.on('error', () => undefined);
      socket.resume();
      socket.write(frame);
      await closed(socket);
    }
    expect(server.stats().rejects.ERR_MALFORMED_FRAME).toBe(garbage.length);
    expect(handled).toBe(0);
    await stillServes();
  });

  it('drops a peer that sends requests but never reads the answers, before it buffers without bound', async () => {
    const { server, stillServes } = await serverAndClient();
    const answer = Buffer.alloc(1024 * 1024, 1);
    server.handle('big', () => answer);
    const socket = await rawHandshake(portOf(server), { id: 'hoarder', clusterId: 'dfs' });
    socket.on('error', () => undefined);
    socket.pause(); // never reads the answers
    for (let id = 1; id <= 200; id++)
      socket.write(controlFrame({ t: 'req', id, p: 'big', b: null }));
    await pollUntil(() => server.stats().rejects.ERR_SLOW_PEER === 1);
    // 200 MiB were asked for; the connection went once its backlog passed the bound (< 64 MiB).
    expect(server.stats().bytesOut).toBeLessThan(64 * 1024 * 1024);
    await stillServes();
    socket.destroy();
  });

  it('stops writing to a peer that stops reading mid-stream, and keeps serving others', async () => {
    // A 256 KiB window, so the bounds below are a few windows, not the default's 1 MiB ones.
    const { server, stillServes } = await serverAndClient({ streamWindowBytes: 256 * 1024 });
    let offered = 0;
    let handlerStream: Duplex | undefined;
    let handlerError: unknown;
    server.handleStream('firehose', (stream) => {
      handlerStream = stream;
      const chunks = (function* () {
        for (let i = 0; i < 1024; i++) {
          offered += 64 * 1024;
          yield Buffer.alloc(64 * 1024, i);
        }
      })();
      pipeline(Readable.from(chunks), stream).catch((error: unknown) => (handlerError = error));
    });
    const socket = await rawHandshake(portOf(server), { id: 'sleepy', clusterId: 'dfs' });
    socket.on('error', () => undefined);
    socket.write(controlFrame({ t: 'open', s: 1, p: 'firehose', h: null }));
    socket.pause(); // never reads again
    await pollUntil(() => handlerStream !== undefined && server.stats().bytesOut > 256 * 1024);
    await stillServes();
    const sent = server.stats().bytesOut;
    await stillServes();
    // Only the flow-control window (plus frame overhead) ever left; the rest stays unread at the source.
    expect(sent).toBeLessThan(512 * 1024);
    expect(offered).toBeLessThan(2 * 1024 * 1024);
    socket.destroy();
    await pollUntil(() => handlerStream?.destroyed === true);
    await pollUntil(() => handlerError !== undefined);
    expect(server.stats().openConnections).toBe(1);
  });
});

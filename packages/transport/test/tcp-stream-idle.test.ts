import { Readable, type Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { VirtualClock, type TransportError } from '../src/index.js';
import { controlFrame } from '../src/tcp/messages.js';
import { pollUntil } from './compliance/real-time.js';
import { rawHandshake, readControl, recordingLogger } from './tcp/raw-peer.js';
import { portOf, startedTransports } from './tcp/started.js';

const start = startedTransports();

const IDLE_MS = 30_000;

/**
 * A server whose `firehose` handler pipes an endless source into each stream it is given, like
 * the replication fetch server pipes a file: while the reader does not consume, the source (an
 * open file there) is held.
 */
async function firehoseServer(clock: VirtualClock) {
  const logger = recordingLogger();
  const server = await start({
    id: 'server',
    clock,
    logger,
    streamIdleTimeoutMs: IDLE_MS,
    streamWindowBytes: 256 * 1024,
  });
  server.handle('ping', () => 'pong');
  const sources: Readable[] = [];
  const handlerErrors: unknown[] = [];
  server.handleStream('firehose', (stream) => {
    const source = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
      },
    });
    sources.push(source);
    pipeline(source, stream).catch((error: unknown) => handlerErrors.push(error));
  });
  return { server, logger, sources, handlerErrors };
}

describe('stalled streams', () => {
  it('a stream whose reader never returns credit is reset on both ends after streamIdleTimeoutMs, releasing the source', async () => {
    const clock = new VirtualClock(0);
    const { server, logger, sources, handlerErrors } = await firehoseServer(clock);
    const socket = await rawHandshake(portOf(server), { id: 'hoarder', clusterId: 'dfs' });
    const received = readControl(socket, { afterHandshake: true }); // reads the socket, but never sends credit
    socket.write(controlFrame({ t: 'open', s: 1, p: 'firehose', h: null }));
    await pollUntil(() => server.stats().bytesOut > 256 * 1024);

    await clock.advance(IDLE_MS - 1_000);
    expect(sources[0]?.destroyed).toBe(false);
    await clock.advance(1_000 + 7_500); // the sweep runs every quarter of the timeout
    await pollUntil(() => sources[0]?.destroyed === true && handlerErrors.length === 1);
    await pollUntil(() =>
      received.some((m) => (m as { t: string; code?: string }).code === 'ERR_STREAM_IDLE'),
    );
    expect(received).toContainEqual({ t: 'reset', s: 1, code: 'ERR_STREAM_IDLE' });
    expect(server.stats().idleStreamResets).toBe(1);
    expect(logger.warnings).toContainEqual(expect.objectContaining({ code: 'ERR_STREAM_IDLE' }));
    // Only the stream went: the connection and the node carry on.
    expect(server.stats().openConnections).toBe(1);
    const client = await start({ id: 'client' });
    expect(await client.request(server.address, 'ping', null)).toBe('pong');
    socket.destroy();
  });

  it('an opened stream the caller never reads is reset on both nodes; a stream that keeps moving is not', async () => {
    const clock = new VirtualClock(0);
    const { server, sources } = await firehoseServer(clock);
    const client = await start({ id: 'client', clock, streamIdleTimeoutMs: IDLE_MS });
    const unread = await client.openStream(server.address, 'firehose', null);
    let unreadError: TransportError | undefined;
    unread.on('error', (error: TransportError) => (unreadError = error));
    const read: Duplex = await client.openStream(server.address, 'firehose', null);
    read.on('data', () => undefined);
    await pollUntil(() => sources.length === 2 && client.stats().bytesIn > 512 * 1024);

    for (let step = 0; step < 8; step++) {
      await clock.advance(IDLE_MS / 4);
      const before = client.stats().bytesIn;
      await pollUntil(() => client.stats().bytesIn > before); // the read stream keeps moving
    }
    await pollUntil(() => unread.destroyed && sources[0]?.destroyed === true);
    expect(unreadError?.code).toMatch(/ERR_STREAM_(IDLE|RESET)/);
    expect(read.destroyed).toBe(false);
    expect(sources[1]?.destroyed).toBe(false);
    read.destroy();
  });
});

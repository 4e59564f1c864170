import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PEER_PROTOCOL_MAGIC, VirtualClock } from '../src/index.js';
import { pollUntil } from './compliance/real-time.js';
import { closed, connectRaw, recordingLogger } from './tcp/raw-peer.js';
import { portOf, startedTransports } from './tcp/started.js';

const SECRET = 's3cret';
const start = startedTransports();
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
});

/** A socket that sends the peer magic (or nothing) and then sits there: a half-open handshake. */
async function halfOpen(port: number, from?: string, sendMagic = true): Promise<net.Socket> {
  const socket = await connectRaw(port, from);
  sockets.push(socket);
  socket.on('error', () => undefined);
  socket.resume();
  if (sendMagic) socket.write(PEER_PROTOCOL_MAGIC);
  return socket;
}

describe('connections in their handshake', () => {
  it('a flood of half-open sockets does not keep an authenticated peer out, and is logged in a few lines', async () => {
    const clock = new VirtualClock(0);
    const logger = recordingLogger();
    const server = await start({
      id: 'server',
      secret: SECRET,
      clock,
      logger,
      // Fewer established slots than the flood has sockets: before handshakes had slots of their
      // own, the flood took every one of them and the peer below was refused.
      maxConnections: 16,
    });
    server.handle('ping', () => 'pong');
    for (let i = 0; i < 40; i++) await halfOpen(portOf(server), undefined, i % 2 === 0);
    await pollUntil(() => server.stats().rejects.ERR_TOO_MANY_HANDSHAKES === 32);
    expect(server.stats().handshaking).toBe(8);

    const peer = await start({ id: 'peer', secret: SECRET });
    expect(await peer.request(server.address, 'ping', null)).toBe('pong');
    expect(server.stats().openConnections).toBe(1);

    // The peer's handshake took the slot of the oldest half-open socket: 33 dropped, one line so
    // far; the window's end adds one summary line.
    expect(server.stats().rejects.ERR_TOO_MANY_HANDSHAKES).toBe(33);
    const flood = () => logger.warnings.filter((w) => w.code === 'ERR_TOO_MANY_HANDSHAKES');
    expect(flood()).toHaveLength(1);
    await clock.advance(10_000);
    expect(flood()).toHaveLength(2);
    expect(flood()[1]).toMatchObject({ suppressed: 32 });
    // The other 7 hit the handshake deadline meanwhile: counted each, logged in one line.
    expect(server.stats().rejects.ERR_HANDSHAKE_TIMEOUT).toBe(7);
    expect(logger.warnings.filter((w) => w.code === 'ERR_HANDSHAKE_TIMEOUT')).toHaveLength(1);
    expect(await peer.request(server.address, 'ping', null)).toBe('pong');
  });

  it('holds at most maxHandshakesPerAddress from one address, dropping its oldest, and leaves other addresses alone', async () => {
    const server = await start({ id: 'server', maxHandshakes: 64, maxHandshakesPerAddress: 4 });
    const fromOne = [];
    for (let i = 0; i < 6; i++) fromOne.push(await halfOpen(portOf(server), '127.0.0.1'));
    const fromTwo = [];
    for (let i = 0; i < 3; i++) fromTwo.push(await halfOpen(portOf(server), '127.0.0.2'));
    await pollUntil(() => server.stats().handshaking === 7);
    // The two oldest from 127.0.0.1 went; everything else is still waiting.
    await Promise.all(fromOne.slice(0, 2).map(closed));
    expect(server.stats().rejects.ERR_TOO_MANY_HANDSHAKES).toBe(2);
    expect([...fromOne.slice(2), ...fromTwo].every((s) => !s.destroyed)).toBe(true);
  });

  it('holds at most maxHandshakes in all, dropping the oldest', async () => {
    const server = await start({ id: 'server', maxHandshakes: 5, maxHandshakesPerAddress: 3 });
    const all = [];
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      for (let i = 0; i < 3; i++) all.push(await halfOpen(portOf(server), from));
    }
    await pollUntil(() => server.stats().rejects.ERR_TOO_MANY_HANDSHAKES === 4);
    expect(server.stats().handshaking).toBe(5);
    await Promise.all(all.slice(0, 4).map(closed));
    expect(all.slice(4).every((s) => !s.destroyed)).toBe(true);
  });
});

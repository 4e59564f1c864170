import net from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  PEER_PROTOCOL_MAGIC,
  TcpTransport,
  VirtualClock,
  isPeerProtocol,
  type TcpTransportOptions,
  type TransportError,
} from '../src/index.js';
import { controlFrame } from '../src/tcp/messages.js';
import { pollUntil } from './compliance/real-time.js';
import { closed, connectRaw, readControl, recordingLogger } from './tcp/raw-peer.js';

const open: TcpTransport[] = [];
async function start(options: TcpTransportOptions): Promise<TcpTransport> {
  const transport = new TcpTransport({ reconnectBaseMs: 5, ...options });
  await transport.listen();
  open.push(transport);
  return transport;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

const portOf = (t: TcpTransport): number => Number(t.address.split(':').pop());

async function failure(promise: Promise<unknown>): Promise<TransportError> {
  return promise.then(
    () => {
      throw new Error('expected failure');
    },
    (error: TransportError) => error,
  );
}

describe('TcpTransport handshake', () => {
  it('refuses a peer with the wrong secret: counted, logged once, reject event, secret never sent', async () => {
    const logger = recordingLogger();
    const server = await start({ id: 'server', secret: 'right', logger });
    const rejects: string[] = [];
    server.on('reject', (reason) => rejects.push(reason.code));
    server.handle('ping', () => 'pong');
    const client = await start({ id: 'client', secret: 'wrong', dialAttempts: 1 });
    const error = await failure(client.request(server.address, 'ping', null));
    expect(error.code).toBe('ERR_AUTH');
    await pollUntil(() => server.stats().rejects.ERR_AUTH === 1);
    expect(rejects).toEqual(['ERR_AUTH']);
    expect(logger.warnings.filter((w) => w.code === 'ERR_AUTH')).toHaveLength(1);
    expect(server.connectedPeers()).toEqual([]);
    const wire = server.stats().bytesIn + client.stats().bytesIn;
    expect(wire).toBeGreaterThan(0);
  });

  it('refuses a peer without a secret when the cluster has one, and the other way round', async () => {
    const withSecret = await start({ id: 's', secret: 'k' });
    const without = await start({ id: 'n', dialAttempts: 1 });
    withSecret.handle('ping', () => 'pong');
    without.handle('ping', () => 'pong');
    expect((await failure(without.request(withSecret.address, 'ping', null))).code).toBe(
      'ERR_AUTH',
    );
    const reverse = await start({ id: 's2', secret: 'k', dialAttempts: 1 });
    expect((await failure(reverse.request(without.address, 'ping', null))).code).toBe('ERR_AUTH');
  });

  it('refuses a peer of another cluster with ERR_CLUSTER_MISMATCH', async () => {
    const server = await start({ id: 'a', clusterId: 'blue' });
    const client = await start({ id: 'b', clusterId: 'green', dialAttempts: 1 });
    server.handle('ping', () => 'pong');
    expect((await failure(client.request(server.address, 'ping', null))).code).toBe(
      'ERR_CLUSTER_MISMATCH',
    );
    await pollUntil(() => server.stats().rejects.ERR_CLUSTER_MISMATCH === 1);
  });

  it('answers an unknown protocol version with a reject frame naming the reason, then closes', async () => {
    const server = await start({ id: 'a' });
    const socket = await connectRaw(portOf(server));
    const received = readControl(socket);
    socket.write(
      Buffer.concat([
        PEER_PROTOCOL_MAGIC,
        controlFrame({ t: 'hello', v: 99, c: 'dfs', id: 'x', a: 'x:1', n: Buffer.alloc(32) }),
      ]),
    );
    await closed(socket);
    expect(received).toEqual([
      expect.objectContaining({ t: 'reject', code: 'ERR_PROTOCOL_VERSION' }),
    ]);
    expect(server.stats().rejects.ERR_PROTOCOL_VERSION).toBe(1);
  });

  it('drops a handshake that does not finish before the deadline (virtual clock)', async () => {
    const clock = new VirtualClock(0);
    const logger = recordingLogger();
    const server = await start({ id: 'a', clock, handshakeTimeoutMs: 5_000, logger });
    const socket = await connectRaw(portOf(server));
    socket.on('error', () => undefined);
    socket.resume();
    // Trickle the handshake one byte per virtual second.
    const hello = Buffer.concat([
      PEER_PROTOCOL_MAGIC,
      controlFrame({ t: 'hello', v: 1, c: 'dfs', id: 'x', a: 'x:1', n: Buffer.alloc(32) }),
    ]);
    for (let i = 0; i < 6; i++) {
      socket.write(hello.subarray(i, i + 1));
      await pollUntil(() => server.stats().bytesIn >= i + 1);
      await clock.advance(1_000);
      if (server.stats().rejects.ERR_HANDSHAKE_TIMEOUT !== undefined) break;
    }
    expect(clock.now()).toBe(5_000);
    await closed(socket);
    expect(server.stats().rejects.ERR_HANDSHAKE_TIMEOUT).toBe(1);
    expect(logger.warnings.map((w) => w.code)).toEqual(['ERR_HANDSHAKE_TIMEOUT']);
  });

  it('keeps one connection per peer pair when both sides dial at once', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await start({ id: `a${round}` });
      const b = await start({ id: `b${round}` });
      a.handle('ping', () => 'from a');
      b.handle('ping', () => 'from b');
      const [fromB, fromA] = await Promise.all([
        a.request(b.address, 'ping', null),
        b.request(a.address, 'ping', null),
      ]);
      expect([fromB, fromA]).toEqual(['from b', 'from a']);
      await pollUntil(() => a.stats().openConnections === 1 && b.stats().openConnections === 1);
      expect(a.connectedPeers().map((p) => p.id)).toEqual([`b${round}`]);
      // Calls keep working on the survivor.
      expect(await a.request(b.address, 'ping', null)).toBe('from b');
      expect(await b.request(a.address, 'ping', null)).toBe('from a');
    }
  });

  it('closes idle connections after idleTimeoutMs (virtual clock) and redials on demand', async () => {
    const clock = new VirtualClock(0);
    const a = await start({ id: 'a', clock, idleTimeoutMs: 10_000 });
    const b = await start({ id: 'b', clock, idleTimeoutMs: 10_000 });
    b.handle('ping', () => 'pong');
    const gone: string[] = [];
    a.on('disconnect', (peer) => gone.push(peer.id));
    expect(await a.request(b.address, 'ping', null)).toBe('pong');
    await clock.advance(5_000);
    expect(a.stats().openConnections).toBe(1);
    await clock.advance(10_000);
    await pollUntil(() => gone.length === 1 && b.stats().openConnections === 0);
    expect(await a.request(b.address, 'ping', null)).toBe('pong');
  });

  it('drains in-flight requests on close: they finish, new calls are refused', async () => {
    const a = await start({ id: 'a' });
    const b = await start({ id: 'b' });
    let release: (value: string) => void = () => undefined;
    let started = false;
    b.handle('slow', () => {
      started = true;
      return new Promise<string>((resolve) => (release = resolve));
    });
    const inFlight = a.request(b.address, 'slow', null);
    await pollUntil(() => started);
    const closing = b.close();
    expect((await failure(b.request(a.address, 'slow', null))).code).toBe('ERR_TRANSPORT_CLOSED');
    release('finished');
    expect(await inFlight).toBe('finished');
    await closing;
    await pollUntil(() => a.stats().openConnections === 0);
  });

  it('refuses authenticated connections beyond maxConnections; handshakes in progress take none of them', async () => {
    const server = await start({ id: 'a', maxConnections: 1 });
    server.handle('ping', () => 'pong');
    // Half-open sockets first: they hold handshake slots, not established ones.
    const squatters = await Promise.all([1, 2, 3].map(() => connectRaw(portOf(server))));
    for (const squatter of squatters) squatter.on('error', () => undefined);
    await pollUntil(() => server.stats().handshaking === 3);
    const client = await start({ id: 'c' });
    expect(await client.request(server.address, 'ping', null)).toBe('pong');
    const late = await start({ id: 'l', dialAttempts: 1 });
    await failure(late.request(server.address, 'ping', null));
    expect(server.stats().rejects.ERR_TOO_MANY_CONNECTIONS).toBe(1);
    expect(await client.request(server.address, 'ping', null)).toBe('pong');
    for (const squatter of squatters) squatter.destroy();
  });
});

describe('sharing a port with HTTP', () => {
  it('tells the peer magic apart from every HTTP method and a TLS ClientHello', () => {
    expect(isPeerProtocol(PEER_PROTOCOL_MAGIC)).toBe(true);
    expect(isPeerProtocol(PEER_PROTOCOL_MAGIC.subarray(0, 1))).toBe(true);
    expect(isPeerProtocol(Buffer.alloc(0))).toBe(false);
    for (const start of [
      'GET ',
      'PUT ',
      'POST',
      'HEAD',
      'DELETE',
      'OPTIONS',
      'PATCH',
      'PRI * HTTP/2.0',
    ]) {
      expect(isPeerProtocol(Buffer.from(start))).toBe(false);
    }
    expect(isPeerProtocol(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe(false);
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 16 }), (bytes) => {
        const first = bytes[0] as number;
        const looksLikeHttpOrTls = (first >= 0x41 && first <= 0x5a) || first === 0x16;
        if (looksLikeHttpOrTls) expect(isPeerProtocol(bytes)).toBe(false);
      }),
    );
  });

  it('serves peers through handleConnection when the owner runs the server (listen: false)', async () => {
    const peer = new TcpTransport({ id: 'embedded', listen: false, advertise: '127.0.0.1:1' });
    await peer.listen();
    open.push(peer);
    peer.handle('ping', () => 'pong');
    const httpHits: string[] = [];
    const server = net.createServer((socket) => {
      socket.once('data', (first: Buffer) => {
        if (isPeerProtocol(first)) {
          peer.handleConnection(socket, first);
        } else {
          httpHits.push(first.toString('latin1').split(' ')[0] ?? '');
          socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const client = await start({ id: 'client' });
      expect(await client.request(address, 'ping', null)).toBe('pong');
      const response = await fetch(`http://${address}/v1/health`);
      expect(await response.text()).toBe('ok');
      expect(httpHits).toEqual(['GET']);
    } finally {
      await Promise.all(open.splice(0).map((t) => t.close()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { pino } from 'pino';
import { systemClock } from '@dfs/transport';
import { afterEach, expect, it } from 'vitest';
import { armHttpTimeouts, SharedListener, type PeerConnectionSink } from '../src/listener.js';

const MAGIC = Buffer.from([0xf0, 0x64, 0x66, 0x73]);
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A peer sink that records what it was handed and echoes every byte it then reads. */
function echoPeer(): PeerConnectionSink & { firstBytes: Buffer[] } {
  const firstBytes: Buffer[] = [];
  return {
    firstBytes,
    isPeerProtocol: (bytes) =>
      Buffer.from(bytes.subarray(0, 4)).equals(MAGIC.subarray(0, Math.min(4, bytes.length))),
    handleConnection(socket: Duplex, first: Buffer) {
      firstBytes.push(first);
      socket.on('data', (chunk: Buffer) => socket.write(chunk));
    },
  };
}

async function start(options: { withHttp?: boolean; sniffTimeoutMs?: number } = {}) {
  const peer = echoPeer();
  const server = http.createServer((req, res) => {
    const hash = createHash('sha256');
    req.on('data', (chunk: Buffer) => hash.update(chunk));
    req.on('end', () => res.end(`${req.method} ${req.url} ${hash.digest('hex')}`));
  });
  armHttpTimeouts(server);
  const listener = new SharedListener({
    host: '127.0.0.1',
    port: 0,
    peer,
    ...(options.withHttp === false ? {} : { http: server }),
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    ...(options.sniffTimeoutMs ? { sniffTimeoutMs: options.sniffTimeoutMs } : {}),
  });
  const { port } = await listener.listen();
  cleanups.push(async () => {
    await listener.close();
    server.closeAllConnections();
    server.close();
  });
  return { port, peer };
}

function exchange(
  port: number,
  parts: Buffer[],
  until: (received: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (until(received)) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    // Write the parts as separate packets so the sniffer sees a split magic.
    let i = 0;
    const next = (): void => {
      const part = parts[i++];
      if (part) socket.write(part, () => setImmediate(next));
    };
    next();
  });
}

it('peer-protocol connections go to the peer sink with their first bytes, even when the magic arrives split', async () => {
  const { port, peer } = await start();
  const socket = net.connect(port, '127.0.0.1');
  cleanups.push(() => void socket.destroy());
  socket.write(MAGIC.subarray(0, 2));
  await new Promise((resolve) => setImmediate(resolve));
  socket.write(Buffer.concat([MAGIC.subarray(2), Buffer.from('hello')]));
  await waitFor(() => peer.firstBytes.length > 0);
  // The sink got the magic; after the handover, bytes flow to it (the echo proves it reads).
  expect(Buffer.concat(peer.firstBytes).subarray(0, 4)).toEqual(MAGIC);
  const echoed = new Promise<string>((resolve) =>
    socket.once('data', (chunk: Buffer) => resolve(chunk.toString())),
  );
  socket.write('tail');
  expect(await echoed).toMatch(/tail$/);
});

it('HTTP requests reach the HTTP server intact, bodies included', async () => {
  const { port } = await start();
  const body = randomBytes(1024 * 1024);

  const response = await fetch(`http://127.0.0.1:${port}/v1/x?y=1`, { method: 'PUT', body });
  expect(await response.text()).toBe(
    `PUT /v1/x?y=1 ${createHash('sha256').update(body).digest('hex')}`,
  );
  // Keep-alive: a second request on the same connection still parses.
  const again = await fetch(`http://127.0.0.1:${port}/again`);
  expect(await again.text()).toMatch(/^GET \/again /);
});

it('a connection that sends too little to identify is closed after the sniff timeout', async () => {
  const { port } = await start({ sniffTimeoutMs: 50 });
  const received = await exchange(port, [Buffer.from([0xf0])], () => false);
  expect(received.length).toBe(0);
});

it('without an HTTP server (peer port under --api), non-peer connections are closed', async () => {
  const { port } = await start({ withHttp: false });
  const received = await exchange(
    port,
    [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    () => false,
  );
  expect(received.length).toBe(0);
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

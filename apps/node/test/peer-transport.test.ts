/**
 * A peer resetting a bulk stream after our side is done with it must not crash the node: the
 * transport closes a stream nobody listens to without an unheard 'error' event.
 */
import { pino } from 'pino';
import { systemClock, systemRandom } from '@dfs/transport';
import { afterEach, expect, it } from 'vitest';
import { SharedListener } from '../src/listener.js';
import { createPeerTransport, type PeerTransport } from '../src/peer-transport.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const logger = pino({ level: 'silent' });

async function peer(id: string, address: string): Promise<PeerTransport> {
  const transport = await createPeerTransport({
    id,
    address,
    secret: 's',
    tls: undefined,
    clock: systemClock,
    random: systemRandom,
    logger,
  });
  cleanups.push(() => transport.close());
  return transport;
}

it('a stream reset by the peer after the handler finished does not raise an unhandled error', async () => {
  // Vitest fails the run on any unhandled 'error' event, which is what this guards against.
  const server = await peer('server-node-id', '127.0.0.1:1');
  const listener = new SharedListener({
    host: '127.0.0.1',
    port: 0,
    peer: server,
    clock: systemClock,
    logger,
  });
  const { port } = await listener.listen();
  cleanups.push(() => listener.close());
  const address = `127.0.0.1:${port}`;

  let handled!: () => void;
  const handlerDone = new Promise<void>((resolve) => (handled = resolve));
  server.handleStream('test/reset', (stream) => {
    // Take one chunk, then drop our listeners, as a finished pipeline would.
    stream.once('data', () => {
      stream.pause();
      handled();
    });
  });
  server.handle('test/ping', () => 'pong');
  const client = await peer('client-node-id', '127.0.0.1:2');
  const stream = await client.openStream(address, 'test/reset', null);
  stream.on('error', () => {});
  stream.write(Buffer.from('hello'));
  await handlerDone;
  stream.destroy(new Error('reset from the client'));
  // The reset travels on the same connection as this request, so the answer comes after it.
  expect(await client.request(address, 'test/ping', null)).toBe('pong');
  expect(await client.request(address, 'test/ping', null)).toBe('pong');
});

import { TcpTransport, type PeerInfo } from '@dfs/transport';
import { afterEach, expect, it } from 'vitest';
import { AntiEntropy, RumorMonger, VersionedMap, type ReceivedRumor } from '../src/index.js';

/** Real sockets on 127.0.0.1 and the real clock: rounds are short so the test takes milliseconds. */
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function tcpNode(id: string): Promise<TcpTransport> {
  const transport = new TcpTransport({ id, host: '127.0.0.1', port: 0, secret: 'test-secret' });
  await transport.listen();
  cleanups.push(() => transport.close());
  return transport;
}

const info = (t: TcpTransport): PeerInfo => ({ id: t.id, address: t.address });

it('spreads a rumor and reconciles state over real TCP on 127.0.0.1', async () => {
  const [a, b, c] = [await tcpNode('tcp-a'), await tcpNode('tcp-b'), await tcpNode('tcp-c')];
  const all = [a, b, c];
  const peersOf = (self: TcpTransport) => () => all.filter((t) => t !== self).map(info);

  // Rumor from a reaches b and c: each handler resolves a promise, no polling, no sleeps.
  const arrivals = [b, c].map(
    (transport) =>
      new Promise<ReceivedRumor>((resolve) => {
        const monger = new RumorMonger({
          transport,
          peers: peersOf(transport),
          gossipIntervalMs: 10,
        });
        monger.subscribe('files', resolve);
        monger.start();
        cleanups.push(() => monger.stop());
      }),
  );
  const origin = new RumorMonger({ transport: a, peers: peersOf(a), gossipIntervalMs: 10 });
  origin.start();
  cleanups.push(() => origin.stop());
  const id = origin.broadcast('files', new TextEncoder().encode('over tcp'));
  const received = await Promise.all(arrivals);
  for (const rumor of received) {
    expect(rumor.id).toBe(id);
    expect(new TextDecoder().decode(rumor.payload)).toBe('over tcp');
    expect(['tcp-a', 'tcp-b', 'tcp-c']).toContain(rumor.from.id);
  }

  // Anti-entropy: a pulls from b over TCP what it lacks; agreeing afterwards costs one request.
  const stateA = new VersionedMap();
  const stateB = new VersionedMap();
  for (let k = 0; k < 200; k++) {
    stateB.set(`file-${k}`, { version: 1, data: new TextEncoder().encode(`v${k}`) });
  }
  stateA.set('file-0', { version: 2, data: new TextEncoder().encode('newer on a') });
  const [engineA, engineB] = [
    new AntiEntropy({ transport: a, peers: peersOf(a), reconciler: stateA, intervalMs: 60_000 }),
    new AntiEntropy({ transport: b, peers: peersOf(b), reconciler: stateB, intervalMs: 60_000 }),
  ];
  for (const engine of [engineA, engineB]) {
    engine.start();
    cleanups.push(() => engine.stop());
  }
  const first = await engineA.syncWith(info(b));
  expect(first.entriesPulled).toBeGreaterThanOrEqual(199);
  expect(stateA.size).toBe(200);
  expect(stateA.get('file-0')?.version).toBe(2);
  const second = await engineA.syncWith(info(b));
  // b still holds the older file-0: the roots differ, that one entry is fetched and the
  // reconciler keeps its newer copy.
  expect(second).toMatchObject({ equal: false, entriesPulled: 1 });
  expect(stateA.get('file-0')?.version).toBe(2);
  await engineB.syncWith(info(a));
  const third = await engineA.syncWith(info(b));
  expect(third).toMatchObject({ equal: true, requests: 1 });
});

import { seededRandom } from '@dfs/transport';
import { afterEach, expect, it } from 'vitest';
import { AntiEntropy, RumorMonger, VersionedMap } from '../src/index.js';
import { createCluster, type TestCluster } from './harness.js';

let cluster: TestCluster | undefined;
const stops: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await cluster?.close();
  cluster = undefined;
});

/** Rumor payload: "key=version". */
const encode = (key: string, version: number): Uint8Array =>
  new TextEncoder().encode(`${key}=${version}`);

it('anti-entropy delivers the updates an isolated node missed while rumors spread', async () => {
  cluster = await createCluster(12, { latencyMs: 2 });
  const c = cluster;
  const maps = c.transports.map(() => new VersionedMap());
  const mongers = c.transports.map((transport, i) => {
    const monger = new RumorMonger({
      transport,
      peers: c.peersOf(i),
      clock: c.clock,
      random: seededRandom(100 + i),
      gossipIntervalMs: 100,
    });
    // An update is news only if it changes our state: stale ones are not spread further.
    monger.subscribe('kv', (rumor) => {
      const [key, version] = new TextDecoder().decode(rumor.payload).split('=') as [string, string];
      return maps[i]!.set(key, { version: Number(version), data: rumor.payload });
    });
    monger.start();
    stops.push(() => monger.stop());
    return monger;
  });
  const engines = c.transports.map((transport, i) => {
    const engine = new AntiEntropy({
      transport,
      peers: c.peersOf(i),
      reconciler: maps[i]!,
      clock: c.clock,
      random: seededRandom(200 + i),
      intervalMs: 1_000,
    });
    engine.start();
    stops.push(() => engine.stop());
    return engine;
  });

  c.network.isolate('n11');
  for (let k = 0; k < 5; k++) {
    const key = `file-${k}`;
    maps[0]!.set(key, { version: 1, data: encode(key, 1) });
    mongers[0]!.broadcast('kv', encode(key, 1));
  }
  const rumorsDone = (): boolean => mongers.every((m) => m.stats().queued === 0);
  await c.clock.runUntil(rumorsDone, { timeoutMs: 20_000, stepMs: 50 });
  expect(maps.slice(0, 11).every((m) => m.size === 5)).toBe(true);
  expect(maps[11]!.size).toBe(0);

  c.network.heal();
  await c.clock.runUntil(() => maps[11]!.size === 5, { timeoutMs: 30_000, stepMs: 100 });
  expect(engines[11]!.stats().entriesPulled).toBe(5);
  // No rumor ever reached it: the repair was anti-entropy's.
  expect(mongers[11]!.stats().received).toBe(0);
});

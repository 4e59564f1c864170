import { isTransportError, seededRandom, type MemoryTransport } from '@dfs/transport';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AntiEntropy, VersionedMap, bucketOf, type AntiEntropyOptions } from '../src/index.js';
import { createCluster, type TestCluster } from './harness.js';

let cluster: TestCluster | undefined;
let engines: AntiEntropy[] = [];

afterEach(async () => {
  await Promise.all(engines.map((e) => e.stop()));
  engines = [];
  await cluster?.close();
  cluster = undefined;
});

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Node i's state: `n` keys, with version 1, except where `overrides` says otherwise. */
function fillState(map: VersionedMap, n: number, version = 1): void {
  for (let k = 0; k < n; k++) map.set(`file-${k}`, { version, data: bytes(`content ${k}`) });
}

async function pair(
  options: Partial<Omit<AntiEntropyOptions, 'transport' | 'peers' | 'reconciler'>> = {},
  size = 2,
): Promise<{ c: TestCluster; maps: VersionedMap[]; ae: AntiEntropy[] }> {
  cluster = await createCluster(size, { latencyMs: 1 });
  const c = cluster;
  const maps = c.transports.map(() => new VersionedMap());
  engines = c.transports.map(
    (transport, i) =>
      new AntiEntropy({
        transport,
        peers: c.peersOf(i),
        reconciler: maps[i]!,
        clock: c.clock,
        random: seededRandom(i + 1),
        intervalMs: 1000,
        ...options,
      }),
  );
  for (const e of engines) e.start();
  return { c, maps, ae: engines };
}

/** Runs one pull of node `from` from node `to` and returns the bytes it put on the network. */
async function measuredPull(
  c: TestCluster,
  ae: AntiEntropy[],
  from: number,
  to: number,
): Promise<{ bytes: number; requests: number; equal: boolean; pulled: number }> {
  const before = c.network.stats().bytes;
  const peer = { id: c.transports[to]!.id, address: c.transports[to]!.address };
  const sync = ae[from]!.syncWith(peer);
  let result: Awaited<typeof sync> | undefined;
  void sync.then((r) => (result = r));
  await c.clock.runUntil(() => result !== undefined, { timeoutMs: 10_000, stepMs: 1 });
  const r = result!;
  return {
    bytes: c.network.stats().bytes - before,
    requests: r.requests,
    equal: r.equal,
    pulled: r.entriesPulled,
  };
}

function sameState(a: VersionedMap, b: VersionedMap): boolean {
  if (a.size !== b.size) return false;
  for (const key of a.keys()) {
    const x = a.get(key)!;
    const y = b.get(key);
    if (!y || x.version !== y.version || Buffer.compare(x.data, y.data) !== 0) return false;
  }
  return true;
}

describe('anti-entropy byte costs', () => {
  it('two nodes that agree on 5,000 entries exchange one request of a few dozen bytes', async () => {
    const { c, maps, ae } = await pair();
    fillState(maps[0]!, 5000);
    fillState(maps[1]!, 5000);
    const m = await measuredPull(c, ae, 0, 1);
    expect(m.equal).toBe(true);
    expect(m.requests).toBe(1);
    expect(m.bytes).toBeLessThan(100);
  });

  it('a difference in k of n entries costs O(k log n) bytes, far below sending the state', async () => {
    const { c, maps, ae } = await pair();
    const n = 4000;
    fillState(maps[0]!, n);
    fillState(maps[1]!, n);
    const costs: number[] = [];
    let changed = 0;
    for (const k of [1, 4, 16]) {
      // Node 1 gets k newer entries; node 0 pulls them.
      for (let j = 0; j < k; j++) {
        maps[1]!.set(`file-${changed++}`, { version: 2, data: bytes('newer') });
      }
      const m = await measuredPull(c, ae, 0, 1);
      expect(m.pulled).toBeGreaterThanOrEqual(k);
      expect(sameState(maps[0]!, maps[1]!)).toBe(true);
      costs.push(m.bytes);
      // Per differing entry: at most log16(n) levels of 16 digests of 12 bytes, plus its bucket's
      // entries (up to leafEntries of ~40 bytes) and request framing.
      const levels = Math.ceil(Math.log(n) / Math.log(16));
      expect(m.bytes).toBeLessThan(k * (levels * 16 * 12 + 8 * 48) + 400);
    }
    const full = await fullStateBytes(maps[1]!);
    expect(costs[0]!).toBeLessThan(full / 50);
    expect(costs[2]!).toBeLessThan(full / 5);
  });

  it('the cost of one difference grows with log n, not n', async () => {
    const costFor = async (n: number): Promise<number> => {
      const { c, maps, ae } = await pair();
      fillState(maps[0]!, n);
      fillState(maps[1]!, n);
      maps[1]!.set('file-0', { version: 2, data: bytes('newer') });
      const m = await measuredPull(c, ae, 0, 1);
      await Promise.all(ae.map((e) => e.stop()));
      await c.close();
      return m.bytes;
    };
    const small = await costFor(250);
    const large = await costFor(16_000);
    // 64x the entries: the cost may grow by about two more tree levels, not by 64x.
    expect(large).toBeLessThan(small * 3);
  });
});

async function fullStateBytes(map: VersionedMap): Promise<number> {
  const entries = map.entriesIn([{ depth: 0, index: 0 }]);
  return entries.reduce((s, e) => s + e.key.length + e.value.byteLength, 0);
}

describe('anti-entropy reconciliation', () => {
  it('pulls only what is newer and ignores what the peer lacks (pull, not push)', async () => {
    const { c, maps, ae } = await pair();
    maps[0]!.set('mine', { version: 1, data: bytes('only on 0') });
    maps[0]!.set('shared', { version: 5, data: bytes('newer on 0') });
    maps[1]!.set('shared', { version: 3, data: bytes('older on 1') });
    maps[1]!.set('theirs', { version: 1, data: bytes('only on 1') });
    await measuredPull(c, ae, 0, 1);
    expect(maps[0]!.get('theirs')?.version).toBe(1);
    expect(maps[0]!.get('shared')?.version).toBe(5);
    expect(maps[1]!.get('mine')).toBeUndefined();
    await measuredPull(c, ae, 1, 0);
    expect(sameState(maps[0]!, maps[1]!)).toBe(true);
  });

  it('a node far behind catches up over several rounds when the byte budget is small', async () => {
    const { c, maps, ae } = await pair({ maxEntryBytesPerRound: 2000 });
    fillState(maps[1]!, 500);
    let rounds = 0;
    while (!sameState(maps[0]!, maps[1]!) && rounds < 100) {
      await measuredPull(c, ae, 0, 1);
      rounds++;
    }
    expect(sameState(maps[0]!, maps[1]!)).toBe(true);
    expect(rounds).toBeGreaterThan(5);
  });

  it('runs periodically with random peers until a cluster converges (timers on the clock)', async () => {
    const { c, maps } = await pair({}, 6);
    maps.forEach((map, i) => map.set(`from-${i}`, { version: 1, data: bytes(`node ${i}`) }));
    maps[2]!.set('from-0', { version: 2, data: bytes('newer') });
    await c.clock.runUntil(() => maps.every((m) => sameState(m, maps[0]!)), {
      timeoutMs: 60_000,
      stepMs: 100,
    });
    expect(maps[0]!.size).toBe(6);
    expect(maps[5]!.get('from-0')?.version).toBe(2);
  });

  it('pairwise pulls converge any states to their last-writer-wins union (property)', async () => {
    const stateArb = fc.array(
      fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), fc.integer({ min: 1, max: 4 })),
      { maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(stateArb, { minLength: 2, maxLength: 3 }), async (states) => {
        const { c, maps, ae } = await pair({}, states.length);
        const expected = new VersionedMap();
        states.forEach((state, i) => {
          for (const [key, version] of state) {
            const value = { version, data: bytes(`${key}@${version}`) };
            maps[i]!.set(key, value);
            expected.set(key, value);
          }
        });
        // Every node pulls from every other node once: enough for a full mesh.
        for (let i = 0; i < maps.length; i++) {
          for (let j = 0; j < maps.length; j++) if (i !== j) await measuredPull(c, ae, i, j);
        }
        for (let i = 0; i < maps.length; i++) {
          for (let j = 0; j < maps.length; j++) if (i !== j) await measuredPull(c, ae, i, j);
        }
        for (const map of maps) expect(sameState(map, expected)).toBe(true);
        await Promise.all(ae.map((e) => e.stop()));
        await c.close();
      }),
      { numRuns: 25 },
    );
  });
});

describe('anti-entropy input validation', () => {
  it('refuses malformed requests with ERR_INVALID_MESSAGE', async () => {
    const { c, ae } = await pair();
    const client = c.transports[1]!;
    const bad: unknown[] = [
      null,
      { op: 'nope' },
      { op: 'children', depth: 0, parents: [] },
      { op: 'children', depth: 1, parents: [16] },
      { op: 'children', depth: 4, parents: [0] },
      { op: 'entries', buckets: [[1, 99]], maxBytes: 10 },
      { op: 'entries', buckets: [[0, 0]], maxBytes: 0 },
    ];
    for (const message of bad) {
      const call = client.request('n0', ae[0]!.protocol, message, { timeoutMs: 1000 });
      const outcome = call.then(
        () => 'resolved',
        (error: unknown) => (isTransportError(error) ? error.code : 'other'),
      );
      let code: string | undefined;
      void outcome.then((v) => (code = v));
      await c.clock.runUntil(() => code !== undefined, { timeoutMs: 2000, stepMs: 1 });
      expect(code).toBe('ERR_INVALID_MESSAGE');
    }
    expect(ae[0]!.stats().invalidMessages).toBe(bad.length);
  });

  it('a peer answering garbage fails the round and leaves local state untouched', async () => {
    cluster = await createCluster(2, { latencyMs: 1 });
    const c = cluster;
    const map = new VersionedMap();
    map.set('k', { version: 1, data: bytes('v') });
    const liar: MemoryTransport = c.transports[1]!;
    const ae = new AntiEntropy({
      transport: c.transports[0]!,
      peers: c.peersOf(0),
      reconciler: map,
      clock: c.clock,
    });
    engines = [ae];
    ae.start();
    liar.handle(ae.protocol, (message) => {
      const op = (message as { op: string }).op;
      if (op === 'root') return { digests: new Uint8Array(12).fill(1) };
      if (op === 'children') return { digests: new Uint8Array(5) };
      return { entries: [{ key: 'k', value: 'x' }], truncated: false };
    });
    let error: unknown;
    void ae.syncWith({ id: 'node-1', address: 'n1' }).catch((e: unknown) => (error = e));
    await c.clock.runUntil(() => error !== undefined, { timeoutMs: 2000, stepMs: 1 });
    expect(error).toMatchObject({ code: 'ERR_INVALID_MESSAGE' });
    expect(map.get('k')?.version).toBe(1);
    expect(ae.stats().failedRounds).toBe(1);
  });

  it('refuses entries outside the requested buckets', async () => {
    cluster = await createCluster(2, { latencyMs: 1 });
    const c = cluster;
    const local = new VersionedMap();
    local.set('a', { version: 1, data: bytes('old') });
    const remote = new VersionedMap();
    remote.set('a', { version: 2, data: bytes('new') });
    remote.set('b', { version: 1, data: bytes('b') });
    // A key in neither of the depth-1 buckets of 'a' and 'b'.
    const wanted = new Set(['a', 'b'].map((k) => bucketOf(k, 1).index));
    let smuggled = 'x0';
    for (let i = 0; wanted.has(bucketOf(smuggled, 1).index); i++) smuggled = `x${i}`;
    const [client, server] = c.transports as [MemoryTransport, MemoryTransport];
    // An honest responder whose entry answers get a foreign key slipped in.
    const tampering = new AntiEntropy({
      transport: {
        id: server.id,
        request: (...args) => server.request(...args),
        unhandle: (p) => server.unhandle(p),
        handle: (protocol, handler) =>
          server.handle(protocol, async (message, context) => {
            const answer = (await handler(message, context)) as { entries?: unknown[] };
            if (answer.entries) answer.entries.push({ key: smuggled, value: new Uint8Array(9) });
            return answer;
          }),
      },
      peers: () => [],
      reconciler: remote,
      clock: c.clock,
    });
    const ae = new AntiEntropy({
      transport: client,
      peers: c.peersOf(0),
      reconciler: local,
      clock: c.clock,
      leafEntries: 1,
    });
    engines = [ae, tampering];
    ae.start();
    tampering.start();
    let error: unknown;
    void ae.syncWith({ id: server.id, address: server.address }).catch((e: unknown) => (error = e));
    await c.clock.runUntil(() => error !== undefined, { timeoutMs: 2000, stepMs: 1 });
    expect(error).toMatchObject({ code: 'ERR_INVALID_MESSAGE' });
    expect(local.get(smuggled)).toBeUndefined();
    expect(local.get('a')?.version).toBe(1);
  });

  it('a round with no live peers does nothing; a dead peer fails the round, counted', async () => {
    const { c, ae } = await pair();
    c.network.kill('n1');
    let error: unknown;
    void ae[0]!.syncWith({ id: 'node-1', address: 'n1' }).catch((e: unknown) => (error = e));
    await c.clock.runUntil(() => error !== undefined, { timeoutMs: 10_000, stepMs: 1 });
    expect(isTransportError(error)).toBe(true);
    expect(ae[0]!.stats()).toMatchObject({ rounds: 1, failedRounds: 1 });
    // The cluster view now excludes the killed node: nobody to reconcile with.
    await expect(ae[0]!.syncRound()).resolves.toBeUndefined();
  });

  it('stop() cancels its timer and refuses further rounds', async () => {
    const { c, ae } = await pair();
    expect(c.clock.pendingTimers).toBeGreaterThan(0);
    await Promise.all(ae.map((e) => e.stop()));
    expect(c.clock.pendingTimers).toBe(0);
    await expect(ae[0]!.syncWith({ id: 'node-1', address: 'n1' })).rejects.toMatchObject({
      code: 'ERR_STOPPED',
    });
  });
});

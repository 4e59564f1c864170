import { seededRandom } from '@dfs/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { RumorMonger, type ReceivedRumor } from '../src/index.js';
import { createCluster, type TestCluster } from './harness.js';

const INTERVAL = 100;
let cluster: TestCluster | undefined;
let mongers: RumorMonger[] = [];

afterEach(async () => {
  for (const m of mongers) m.stop();
  mongers = [];
  await cluster?.close();
  cluster = undefined;
});

async function gossipCluster(
  size: number,
  options: { lossRate?: number; seed?: number; retransmitMultiplier?: number } = {},
): Promise<{ cluster: TestCluster; mongers: RumorMonger[]; received: ReceivedRumor[][] }> {
  cluster = await createCluster(size, options);
  const received: ReceivedRumor[][] = [];
  const c = cluster;
  mongers = c.transports.map((transport, i) => {
    const monger = new RumorMonger({
      transport,
      peers: c.peersOf(i),
      clock: c.clock,
      random: seededRandom((options.seed ?? 1) * 1000 + i),
      gossipIntervalMs: INTERVAL,
      retransmitMultiplier: options.retransmitMultiplier,
    });
    const inbox: ReceivedRumor[] = [];
    received.push(inbox);
    monger.subscribe('files', (rumor) => void inbox.push(rumor));
    monger.start();
    return monger;
  });
  return { cluster: c, mongers, received };
}

const payload = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

describe('rumor mongering on MemoryTransport', () => {
  it('a broadcast reaches every node exactly once, and only those that did not send it', async () => {
    const { cluster: c, mongers: m, received } = await gossipCluster(30);
    const id = m[0]!.broadcast('files', payload('a.txt v1'));
    await c.clock.runUntil(() => received.slice(1).every((inbox) => inbox.length === 1), {
      timeoutMs: 20 * INTERVAL,
    });
    expect(received[0]).toEqual([]);
    for (const inbox of received.slice(1)) {
      expect(inbox).toHaveLength(1);
      expect(inbox[0]!.id).toBe(id);
      expect(text(inbox[0]!.payload)).toBe('a.txt v1');
    }
    // Let every retransmission run out: nothing is delivered twice and queues drain.
    await c.clock.advance(40 * INTERVAL);
    expect(received.every((inbox, i) => inbox.length === (i === 0 ? 0 : 1))).toBe(true);
    expect(m.every((g) => g.stats().queued === 0)).toBe(true);
    const duplicates = m.reduce((s, g) => s + g.stats().duplicates, 0);
    expect(duplicates).toBeGreaterThan(0);
  });

  it('bounds each node to retransmitMultiplier * ceil(log10(N+1)) sends of a rumor', async () => {
    const { cluster: c, mongers: m } = await gossipCluster(20, { retransmitMultiplier: 2 });
    m[0]!.broadcast('files', payload('x'));
    await c.clock.advance(60 * INTERVAL);
    const limit = 2 * Math.ceil(Math.log10(21));
    for (const g of m) expect(g.stats().rumorsSent).toBeLessThanOrEqual(limit);
    expect(m[0]!.stats().rumorsSent).toBe(limit);
  });

  it('still reaches every node at 10 % message loss', async () => {
    const {
      cluster: c,
      mongers: m,
      received,
    } = await gossipCluster(50, {
      lossRate: 0.1,
      seed: 3,
    });
    m[7]!.broadcast('files', payload('lossy'));
    await c.clock.runUntil(() => received.every((inbox, i) => i === 7 || inbox.length === 1), {
      timeoutMs: 30 * INTERVAL,
    });
    expect(c.network.stats().dropped).toBeGreaterThan(0);
  });

  it('does not re-gossip a rumor its handler declines', async () => {
    cluster = await createCluster(3);
    const c = cluster;
    // a only knows b; b declines everything; so d can only hear of it through b.
    const views = [() => [{ id: 'node-1', address: 'n1' }], c.peersOf(1), c.peersOf(2)];
    const [a, b, d] = c.transports.map(
      (transport, i) =>
        new RumorMonger({
          transport,
          peers: views[i]!,
          clock: c.clock,
          random: seededRandom(i),
          gossipIntervalMs: INTERVAL,
        }),
    ) as [RumorMonger, RumorMonger, RumorMonger];
    mongers = [a, b, d];
    const seenByD: string[] = [];
    b.subscribe('files', () => false);
    d.subscribe('files', (r) => void seenByD.push(r.id));
    for (const g of mongers) g.start();
    a.broadcast('files', payload('stale'));
    await c.clock.advance(30 * INTERVAL);
    expect(b.stats().received).toBe(1);
    expect(b.stats().declined).toBe(1);
    expect(b.stats().rumorsSent).toBe(0);
    expect(seenByD).toEqual([]);
  });

  it('relays rumors on topics a node does not subscribe to', async () => {
    cluster = await createCluster(3);
    const c = cluster;
    // A chain a -> b -> d where b has no subscriber for the topic.
    const views = [
      () => [{ id: 'node-1', address: 'n1' }],
      () => [{ id: 'node-2', address: 'n2' }],
      () => [],
    ];
    mongers = c.transports.map(
      (transport, i) =>
        new RumorMonger({
          transport,
          peers: views[i]!,
          clock: c.clock,
          gossipIntervalMs: INTERVAL,
        }),
    );
    const heard: string[] = [];
    mongers[2]!.subscribe('files', (r) => void heard.push(text(r.payload)));
    for (const g of mongers) g.start();
    mongers[0]!.broadcast('files', payload('via b'));
    await c.clock.runUntil(() => heard.length === 1, { timeoutMs: 10 * INTERVAL });
    expect(heard).toEqual(['via b']);
    expect(mongers[1]!.stats()).toMatchObject({ received: 1, declined: 0 });
  });

  it('treats a throwing handler as declining: counted, not spread, other handlers still run', async () => {
    const { cluster: c, mongers: m } = await gossipCluster(2);
    const calls: string[] = [];
    m[1]!.subscribe('files', () => {
      throw new Error('handler bug');
    });
    m[1]!.subscribe('files', (r) => void calls.push(r.id));
    const id = m[0]!.broadcast('files', payload('x'));
    await c.clock.runUntil(() => m[1]!.stats().received === 1, { timeoutMs: 10 * INTERVAL });
    expect(calls).toEqual([id]);
    expect(m[1]!.stats()).toMatchObject({ handlerErrors: 1, declined: 1, queued: 0 });
  });

  it('ignores malformed packets without touching state', async () => {
    const { cluster: c, mongers: m, received } = await gossipCluster(2);
    const sender = c.transports[1]!;
    const bad: unknown[] = [
      null,
      'rumors',
      { rumors: 'x' },
      { rumors: [{ id: '', topic: 'files', payload: new Uint8Array(1) }] },
      { rumors: [{ id: 'a', topic: 'files', payload: 'not bytes' }] },
      { rumors: [{ id: 'x'.repeat(65), topic: 'files', payload: new Uint8Array(1) }] },
    ];
    for (const message of bad) await sender.send('n0', 'dfs/gossip/rumor/1', message);
    // A payload above maxPayloadBytes is refused rumor by rumor.
    await sender.send('n0', 'dfs/gossip/rumor/1', {
      rumors: [{ id: 'big', topic: 'files', payload: new Uint8Array(9000) }],
    });
    await c.clock.advance(50);
    expect(m[0]!.stats().invalidMessages).toBe(bad.length + 1);
    expect(received[0]).toEqual([]);
    expect(m[0]!.stats().queued).toBe(0);
  });

  it('carries rumors piggybacked on another component’s messages, counting them as sends', async () => {
    cluster = await createCluster(2);
    const c = cluster;
    const [a, b] = c.transports.map(
      (transport, i) =>
        new RumorMonger({
          transport,
          peers: c.peersOf(i),
          clock: c.clock,
          retransmitMultiplier: 1,
        }),
    ) as [RumorMonger, RumorMonger];
    const got: string[] = [];
    b.subscribe('members', (r) => void got.push(text(r.payload)));
    a.broadcast('members', payload('node-9 suspect'), { key: 'node-9' });
    a.broadcast('members', payload('node-9 dead'), { key: 'node-9' });
    a.broadcast('members', payload('node-8 alive'));
    // A probe message from a "discovery" component, with room for one small rumor only.
    const carried = a.takePiggyback(80);
    expect(carried.map((r) => text(r.payload))).toEqual(['node-8 alive']);
    expect(b.receivePiggyback(carried, { id: 'node-0', address: 'n0' })).toBe(1);
    expect(b.receivePiggyback(carried, { id: 'node-0', address: 'n0' })).toBe(0);
    const rest = a.takePiggyback(10_000);
    expect(rest.map((r) => text(r.payload))).toEqual(['node-9 dead']);
    b.receivePiggyback(rest, { id: 'node-0', address: 'n0' });
    expect(got).toEqual(['node-8 alive', 'node-9 dead']);
    // Multiplier 1 with 2 nodes: one transmission each retires them.
    expect(a.stats().queued).toBe(0);
    expect(b.receivePiggyback([{ id: 1 }], { id: 'node-0', address: 'n0' })).toBe(0);
    expect(b.stats().invalidMessages).toBe(1);
  });

  it('mints distinct ids on nodes whose Random is seeded identically', () => {
    const fake = (id: string) => ({
      id,
      send: async () => undefined,
      handle: () => undefined,
      unhandle: () => undefined,
    });
    const a = new RumorMonger({ transport: fake('a'), peers: () => [], random: seededRandom(5) });
    const b = new RumorMonger({ transport: fake('b'), peers: () => [], random: seededRandom(5) });
    const idA = a.broadcast('t', payload('1'));
    const idB = b.broadcast('t', payload('1'));
    expect(idA).not.toBe(idB);
    expect(idA).toMatch(/^[0-9a-f]{24}$/);
  });

  it('validates broadcast arguments', () => {
    const monger = new RumorMonger({
      transport: {
        id: 'x',
        send: async () => undefined,
        handle: () => undefined,
        unhandle: () => undefined,
      },
      peers: () => [],
    });
    expect(() => monger.broadcast('', new Uint8Array())).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => monger.broadcast('t', new Uint8Array(8 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: 'ERR_TOO_LARGE' }),
    );
    expect(
      () =>
        new RumorMonger({
          transport: {
            id: 'x',
            send: async () => undefined,
            handle: () => undefined,
            unhandle: () => undefined,
          },
          peers: () => [],
          fanout: 0,
        }),
    ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('stop() cancels every timer and unregisters the handler', async () => {
    const { cluster: c, mongers: m } = await gossipCluster(3);
    expect(c.clock.pendingTimers).toBeGreaterThan(0);
    for (const g of m) g.stop();
    await c.clock.advance(10 * INTERVAL);
    expect(c.clock.pendingTimers).toBe(0);
    m[1]!.broadcast('files', payload('after stop'));
    m[1]!.gossipRound();
    await c.clock.advance(100);
    expect(m[0]!.stats().received).toBe(0);
  });
});

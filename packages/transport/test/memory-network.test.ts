import { afterEach, describe, expect, it } from 'vitest';
import type { TransportError } from '../src/index.js';
import {
  MemoryNetwork,
  VirtualClock,
  seededRandom,
  type MemoryTransport,
  type PeerInfo,
} from '../src/index.js';

let transports: MemoryTransport[] = [];

async function cluster(network: MemoryNetwork, count: number): Promise<MemoryTransport[]> {
  const created: MemoryTransport[] = [];
  for (let i = 0; i < count; i++) {
    const t = network.createTransport({ id: `n${i}`, address: `n${i}` });
    await t.listen();
    created.push(t);
  }
  transports.push(...created);
  return created;
}

afterEach(async () => {
  await Promise.all(transports.map((t) => t.close()));
  transports = [];
});

describe('MemoryNetwork', () => {
  it('delivers a message exactly when the clock reaches the link latency, not before', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1), latencyMs: 50 });
    const [a, b] = await cluster(network, 2);
    const arrivals: number[] = [];
    b!.handle('t', () => void arrivals.push(clock.now()));
    await a!.send('n1', 't', 1);
    await clock.advance(49);
    expect(arrivals).toEqual([]);
    await clock.advance(1);
    expect(arrivals).toEqual([50]);
  });

  it('uses per-link latency overrides in the configured direction', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1), latencyMs: 10 });
    const [a, b] = await cluster(network, 2);
    network.setLink('n0', 'n1', { latencyMs: 100 }, { oneWay: true });
    b!.handle('rtt', () => 'ok');
    const call = a!.request('n1', 'rtt', null);
    await clock.runUntil(() => network.stats().inFlight === 0, { timeoutMs: 1_000, stepMs: 1 });
    await expect(call).resolves.toBe('ok');
    expect(clock.now()).toBe(110);
  });

  it('loses about lossRate of one-way messages, reproducibly from the seed', async () => {
    const run = async (): Promise<number> => {
      const clock = new VirtualClock(0);
      const network = new MemoryNetwork({ clock, random: seededRandom(7), lossRate: 0.3 });
      const [a, b] = await cluster(network, 2);
      let got = 0;
      b!.handle('m', () => void got++);
      for (let i = 0; i < 2_000; i++) await a!.send('n1', 'm', i);
      await clock.advance(10);
      return got;
    };
    const first = await run();
    expect(first).toBeGreaterThan(1_200);
    expect(first).toBeLessThan(1_600);
    expect(await run()).toBe(first);
  });

  it('keeps messages inside a partition, drops them across it, and heals', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1) });
    const [a, b, c] = await cluster(network, 3);
    for (const t of [a, b, c]) t!.handle('who', (_m, ctx) => ctx.peer.id);
    network.partition(['n0', 'n1'], ['n2']);
    const inside = a!.request('n1', 'who', null);
    const across = a!.request('n2', 'who', null, { timeoutMs: 100 }).catch((e: unknown) => e);
    await clock.advance(200);
    await expect(inside).resolves.toBe('n0');
    expect(((await across) as TransportError).code).toBe('ERR_TIMEOUT');
    network.heal();
    const healed = a!.request('n2', 'who', null);
    await clock.advance(10);
    await expect(healed).resolves.toBe('n0');
  });

  it('isolates one node from everybody', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1) });
    const [a, b, c] = await cluster(network, 3);
    let got = 0;
    for (const t of [a, b]) t!.handle('m', () => void got++);
    network.isolate('n2');
    await c!.send('n0', 'm', 1);
    await b!.send('n0', 'm', 1);
    await clock.advance(10);
    expect(got).toBe(1);
  });

  it('treats a killed node as crashed: peers disconnect, calls are refused, revive restores it', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1) });
    const [a, b] = await cluster(network, 2);
    b!.handle('ping', () => 'pong');
    b!.handle('hang', () => new Promise(() => undefined));
    const gone: PeerInfo[] = [];
    a!.on('disconnect', (peer) => gone.push(peer));
    const first = a!.request('n1', 'ping', null);
    await clock.advance(5);
    await expect(first).resolves.toBe('pong');
    const hanging = a!.request('n1', 'hang', null).catch((e: unknown) => e);
    await clock.advance(5);
    network.kill('n1');
    expect(((await hanging) as TransportError).code).toBe('ERR_CONNECTION_CLOSED');
    expect(gone.map((p) => p.id)).toEqual(['n1']);
    expect(a!.connectedPeers()).toEqual([]);
    const refused = a!.request('n1', 'ping', null).catch((e: unknown) => e);
    await clock.advance(5);
    expect(((await refused) as TransportError).code).toBe('ERR_UNREACHABLE');
    network.revive('n1');
    const again = a!.request('n1', 'ping', null);
    await clock.advance(5);
    await expect(again).resolves.toBe('pong');
  });

  it('fails a stream open cleanly when the peer dies before accepting it', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1), latencyMs: 10 });
    const [a, b] = await cluster(network, 2);
    b!.handleStream('files', (stream) => void stream.end());
    const opening = a!.openStream('n1', 'files', null).catch((e: unknown) => e);
    await clock.advance(3);
    network.kill('n1');
    await clock.advance(30);
    // The call fails with a typed error; the half-made stream end raises no unheard 'error'.
    expect(((await opening) as TransportError).code).toBe('ERR_CONNECTION_CLOSED');
  });

  it('queues traffic behind a link bandwidth limit', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({
      clock,
      random: seededRandom(1),
      latencyMs: 0,
      bandwidthBytesPerSec: 100_000,
    });
    const [a, b] = await cluster(network, 2);
    const arrivals: number[] = [];
    b!.handle('blob', () => void arrivals.push(clock.now()));
    // Each message is ~10 kB: 100 ms of link time each.
    for (let i = 0; i < 3; i++) await a!.send('n1', 'blob', Buffer.alloc(10_000));
    await clock.advance(1_000);
    expect(arrivals).toHaveLength(3);
    expect(arrivals[0]).toBeGreaterThanOrEqual(100);
    expect(arrivals[2]).toBeGreaterThanOrEqual(300);
  });

  it('keeps each link FIFO under jitter', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(3), jitterMs: 40 });
    const [a, b] = await cluster(network, 2);
    const got: number[] = [];
    b!.handle('seq', (m) => void got.push(m as number));
    for (let i = 0; i < 200; i++) await a!.send('n1', 'seq', i);
    await clock.advance(100);
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('resets streams that cross a new partition on both ends', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1) });
    const [a, b] = await cluster(network, 2);
    const serverErrors: string[] = [];
    b!.handleStream('s', (stream) => {
      stream.on('error', (e: TransportError) => serverErrors.push(e.code));
      stream.resume();
    });
    const opening = a!.openStream('n1', 's', null);
    await clock.advance(5);
    const stream = await opening;
    let clientError = '';
    stream.on('error', (e: TransportError) => (clientError = e.code));
    network.partition(['n0'], ['n1']);
    await clock.advance(5);
    expect(clientError).toBe('ERR_CONNECTION_CLOSED');
    expect(serverErrors).toEqual(['ERR_CONNECTION_CLOSED']);
  });

  it('refuses messages that the codec cannot encode, synchronously at the sender', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1) });
    const [a] = await cluster(network, 2);
    await expect(a!.send('n1', 'x', Symbol('nope'))).rejects.toMatchObject({
      code: 'ERR_MALFORMED_FRAME',
    });
  });

  it('gives every receiver its own copy of a message', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({ clock, random: seededRandom(1) });
    const [a, b] = await cluster(network, 2);
    const got: { list: number[] }[] = [];
    b!.handle('m', (m) => void got.push(m as { list: number[] }));
    const message = { list: [1] };
    await a!.send('n1', 'm', message);
    message.list.push(2);
    await clock.advance(5);
    expect(got).toEqual([{ list: [1] }]);
  });

  it('with shareValues, hands over the sent values themselves and still measures and checks them', async () => {
    const run = async (shareValues: boolean) => {
      const clock = new VirtualClock(0);
      const network = new MemoryNetwork({ clock, random: seededRandom(1), shareValues });
      const [a, b] = await cluster(network, 2);
      const sent = { list: [1], name: 'x' };
      const answer = { ok: true, list: ['y'] };
      const got: unknown[] = [];
      b!.handle('m', (m) => void got.push(m));
      b!.handle('r', (m) => {
        got.push(m);
        return answer;
      });
      await a!.send('n1', 'm', sent);
      const reply = a!.request('n1', 'r', sent);
      await clock.advance(5);
      await expect(a!.send('n1', 'm', Symbol('nope'))).rejects.toMatchObject({
        code: 'ERR_MALFORMED_FRAME',
      });
      return { got, reply: await reply, sent, answer, bytes: network.stats().bytes };
    };
    const shared = await run(true);
    expect(shared.got[0]).toBe(shared.sent);
    expect(shared.got[1]).toBe(shared.sent);
    expect(shared.reply).toBe(shared.answer);
    const copied = await run(false);
    expect(copied.got[0]).not.toBe(copied.sent);
    expect(copied.got[0]).toEqual(copied.sent);
    expect(copied.reply).toEqual(copied.answer);
    // The bytes on the "wire" are counted the same way either way.
    expect(shared.bytes).toBe(copied.bytes);
    expect(shared.bytes).toBeGreaterThan(0);
  });

  it('with shareValues and measureBytes false, skips the encoding: nothing counted, nothing refused', async () => {
    const clock = new VirtualClock(0);
    const network = new MemoryNetwork({
      clock,
      random: seededRandom(1),
      shareValues: true,
      measureBytes: false,
    });
    const [a, b] = await cluster(network, 2);
    const got: unknown[] = [];
    b!.handle('m', (m) => void got.push(m));
    b!.handle('r', (m) => m);
    const sent = { list: [1] };
    const odd = Symbol('not encodable');
    await a!.send('n1', 'm', sent);
    await a!.send('n1', 'm', odd);
    const reply = a!.request('n1', 'r', sent);
    await clock.advance(5);
    await expect(reply).resolves.toBe(sent);
    expect(got).toEqual([sent, odd]);
    expect(network.stats()).toMatchObject({ bytes: 0, delivered: 4 });
  });

  it('carries 20,000 messages among 1,000 nodes in one run', async () => {
    const clock = new VirtualClock(0);
    const random = seededRandom(11);
    const network = new MemoryNetwork({ clock, random, latencyMs: 5, jitterMs: 5 });
    const nodes = await cluster(network, 1_000);
    let received = 0;
    for (const node of nodes) node.handle('g', () => void received++);
    for (let i = 0; i < 20_000; i++) {
      const from = nodes[i % 1_000]!;
      void from.send(`n${Math.floor(random.next() * 1_000)}`, 'g', { i, rumor: 'x' });
    }
    await clock.advance(20);
    expect(received).toBe(20_000);
  });
});

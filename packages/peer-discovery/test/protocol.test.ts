import { isTransportError } from '@dfs/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, PROTOCOL, createMembership, isDiscoveryError } from '../src/index.js';
import { createCluster, type TestCluster, type TestNode } from './cluster.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.stopAll();
  cluster = undefined;
});

async function twoNodes(): Promise<[TestNode, TestNode]> {
  cluster = createCluster(11);
  const a = await cluster.add();
  const b = await cluster.add();
  await cluster.startAll([a, b]);
  await cluster.clock.runUntil(() => cluster!.complete([a, b]), { timeoutMs: 2000 });
  return [a, b];
}

async function expectRejected(promise: Promise<unknown>, code: string): Promise<void> {
  const clock = cluster!.clock;
  let error: unknown;
  promise.catch((e: unknown) => (error = e));
  await clock.runUntil(() => error !== undefined, { timeoutMs: 2000 });
  expect(isTransportError(error, code)).toBe(true);
}

describe('hostile and malformed messages', () => {
  const sync = (member: unknown[]) => ({ join: false, members: [member] });
  const bad: [string, unknown][] = [
    ['not an object', 'hello'],
    ['an update as an object', { join: false, members: [{ id: 'x', address: 'x', state: 0 }] }],
    ['a negative incarnation', sync(['x', 'x', 0, -1, ''])],
    ['an unknown state', sync(['x', 'x', 7, 0, ''])],
    ['an empty id', sync(['', 'x', 0, 0, ''])],
    ['a fractional incarnation', sync(['x', 'x', 0, 0.5, ''])],
    ['an oversized id', sync(['x'.repeat(300), 'x', 0, 0, ''])],
    ['a missing field', sync(['x', 'x', 0, 0])],
  ];
  for (const [what, message] of bad) {
    it(`refuses a sync with ${what} and changes nothing`, async () => {
      const [a, b] = await twoNodes();
      const before = JSON.stringify(b.membership.members());
      await expectRejected(
        a.transport.request(b.address, PROTOCOL.sync, message),
        'ERR_INVALID_MESSAGE',
      );
      expect(JSON.stringify(b.membership.members())).toBe(before);
    });
  }

  it('refuses a ping meant for another node', async () => {
    const [a, b] = await twoNodes();
    await expectRejected(
      a.transport.request(b.address, PROTOCOL.ping, { target: 'someone-else', updates: [] }),
      'ERR_WRONG_NODE',
    );
  });

  it('refuses a ping with too many updates', async () => {
    const [a, b] = await twoNodes();
    const updates = Array.from({ length: 600 }, (_, i) => [`n${i}`, `n${i}`, 0, 0, '']);
    await expectRejected(
      a.transport.request(b.address, PROTOCOL.ping, { target: b.id, updates }),
      'ERR_INVALID_MESSAGE',
    );
    expect(b.membership.members()).toHaveLength(2);
  });
});

describe('full member lists', () => {
  it('skip a dead claim about a member believed alive; the member refutes it when it hears', async () => {
    cluster = createCluster(17);
    const nodes = [await cluster.add(), await cluster.add(), await cluster.add()];
    await cluster.startAll(nodes);
    await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 2000 });
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    const states: string[] = [];
    a.membership.on('update', (m) => {
      if (m.id === b.id) states.push(`${m.state}@${m.incarnation}`);
    });
    const claim = [b.id, b.address, 2, 0, '']; // dead at incarnation 0
    const tell = async (to: TestNode): Promise<void> => {
      let answered = false;
      void c.transport
        .request(to.address, PROTOCOL.sync, { join: false, members: [claim] })
        .then(() => (answered = true));
      await cluster!.clock.runUntil(() => answered, { timeoutMs: 1000 });
    };
    await tell(a);
    expect(a.membership.member(b.id)).toMatchObject({ state: 'alive', incarnation: 0 });
    await tell(b);
    expect(b.membership.self.incarnation).toBe(1);
    await cluster.clock.runUntil(() => a.membership.member(b.id)?.incarnation === 1, {
      timeoutMs: 3000,
    });
    expect(states).toEqual(['alive@1']);
  });

  it('take a dead claim about a later incarnation than known as a suspicion', async () => {
    cluster = createCluster(19);
    const nodes = [await cluster.add(), await cluster.add(), await cluster.add()];
    await cluster.startAll(nodes);
    await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 2000 });
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    let answered = false;
    void c.transport
      .request(a.address, PROTOCOL.sync, { join: false, members: [[b.id, b.address, 2, 5, '']] })
      .then(() => (answered = true));
    await cluster.clock.runUntil(() => answered, { timeoutMs: 1000 });
    expect(a.membership.member(b.id)).toMatchObject({ state: 'suspect', incarnation: 5 });
  });

  it('take a dead claim at face value when delivered as gossip', async () => {
    cluster = createCluster(18);
    const nodes = [await cluster.add(), await cluster.add(), await cluster.add()];
    await cluster.startAll(nodes);
    await cluster.clock.runUntil(() => cluster!.complete(nodes), { timeoutMs: 2000 });
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    const claim = [b.id, b.address, 2, 0, '']; // dead at incarnation 0
    let answered = false;
    void c.transport
      .request(a.address, PROTOCOL.gossip, { updates: [claim] })
      .then(() => (answered = true));
    await cluster.clock.runUntil(() => answered, { timeoutMs: 1000 });
    expect(a.membership.member(b.id)?.state).toBe('dead');
    // b hears of its death from the gossip and comes back with a higher incarnation.
    await cluster.clock.runUntil(() => a.membership.member(b.id)?.state === 'alive', {
      timeoutMs: 3000,
    });
    expect(a.membership.member(b.id)?.incarnation).toBe(1);
  });
});

describe('options and lifecycle', () => {
  it('rejects settings that cannot work', () => {
    cluster = createCluster(12);
    const transport = cluster.network.createTransport({ id: 'z', address: 'z' });
    const make =
      (config: object, incarnation = 0) =>
      () =>
        createMembership({ transport, clock: cluster!.clock, config, incarnation });
    for (const config of [
      { probeTimeoutMs: DEFAULT_CONFIG.probeIntervalMs },
      { probeIntervalMs: 0 },
      { gossipFanout: -1 },
      { suspicionMaxMult: 0.5 },
      { retransmitMult: Number.NaN },
    ]) {
      expect(make(config)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
    }
    expect(make({}, -1)).toThrowError(expect.objectContaining({ code: 'ERR_INVALID_CONFIG' }));
  });

  it('start() twice is refused; leave() before start is refused', async () => {
    cluster = createCluster(13);
    const a = await cluster.add();
    await expect(a.membership.leave()).rejects.toMatchObject({ code: 'ERR_NOT_STARTED' });
    await cluster.startAll([a]);
    await expect(a.membership.start()).rejects.toMatchObject({ code: 'ERR_ALREADY_STARTED' });
  });

  it('retries unreachable seeds with backoff until one comes up', async () => {
    cluster = createCluster(14);
    const seed = await cluster.add({ address: 'seed' });
    await seed.transport.close(); // not listening yet: the joiner gets ERR_UNREACHABLE
    const joiner = await cluster.add({ seeds: ['seed'] });
    let joined = false;
    void joiner.membership.start().then(() => (joined = true));
    await cluster.clock.advance(2000);
    expect(joined).toBe(false);
    const revived = cluster.network.createTransport({ id: 'seed-2', address: 'seed' });
    await revived.listen();
    const late = createMembership({
      transport: revived,
      clock: cluster.clock,
      config: { probeIntervalMs: 100, probeTimeoutMs: 40 },
    });
    await late.start();
    await cluster.clock.runUntil(() => joined, { timeoutMs: 2000 });
    expect(joiner.membership.member('seed-2')?.state).toBe('alive');
    await late.stop();
    await revived.close();
  });

  it('gives up after joinTimeoutMs when asked to', async () => {
    cluster = createCluster(15);
    const joiner = await cluster.add({ seeds: ['nowhere'] });
    const withTimeout = createMembership({
      transport: cluster.network.createTransport({ id: 'j2', address: 'j2' }),
      clock: cluster.clock,
      seeds: ['nowhere'],
      config: { joinTimeoutMs: 1000, joinBackoffMs: 100 },
    });
    let error: unknown;
    withTimeout.start().catch((e: unknown) => (error = e));
    await cluster.clock.runUntil(() => error !== undefined, { timeoutMs: 5000 });
    expect(isDiscoveryError(error, 'ERR_JOIN_TIMEOUT')).toBe(true);
    await withTimeout.stop();
    // Without a timeout it keeps trying until stopped, then rejects with ERR_STOPPED.
    let stopped: unknown;
    joiner.membership.start().catch((e: unknown) => (stopped = e));
    await cluster.clock.advance(5000);
    expect(stopped).toBeUndefined();
    await joiner.membership.stop();
    await cluster.clock.runUntil(() => stopped !== undefined, { timeoutMs: 1000 });
    expect(isDiscoveryError(stopped, 'ERR_STOPPED')).toBe(true);
  });

  it('stop() leaves no timer running', async () => {
    cluster = createCluster(16);
    const nodes = [await cluster.add(), await cluster.add(), await cluster.add()];
    await cluster.startAll(nodes);
    await cluster.clock.advance(1000);
    for (const node of nodes) await node.membership.stop();
    await cluster.clock.advance(5000); // let in-flight requests time out
    expect(cluster.clock.pendingTimers).toBe(0);
  });
});

/**
 * `GET /v1/status` on the node side: the `dfs/stats/1` fan-out under one deadline (a member that
 * never answers, one that answers garbage, one that is not there), the view assembled from
 * `/v1/cluster`, and a node's own stats read from its parts and its filesystem.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusViewSchema, type ClusterView, type NodeStats } from '@dfs/api';
import { MemoryNetwork, VirtualClock, seededRandom, type MemoryTransport } from '@dfs/transport';
import { clusterStatus } from '../src/status/cluster-status.js';
import { nodeStatsReader } from '../src/status/node-stats.js';
import {
  STATS_PROTOCOL,
  askMembersForStats,
  serveStats,
  type StatsAnswer,
} from '../src/status/stats-protocol.js';

const stats = (files: number): NodeStats => ({
  files,
  bytes: files * 10,
  diskFree: 100,
  diskTotal: 200,
  transfersIn: 1,
  transfersOut: 2,
  backlog: 3,
  bytesIn: 4,
  bytesOut: 5,
  uptime: 6,
});

let transports: MemoryTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.map((t) => t.close()));
  transports = [];
});

async function network(ids: string[]): Promise<{ clock: VirtualClock; nodes: MemoryTransport[] }> {
  const clock = new VirtualClock();
  const net = new MemoryNetwork({ clock, random: seededRandom(7) });
  const nodes = ids.map((id) => net.createTransport({ id, address: `mem-${id}` }));
  await Promise.all(nodes.map((t) => t.listen()));
  transports.push(...nodes);
  return { clock, nodes };
}

/** Resolves `promise` while advancing virtual time in small steps, up to `limitMs`. */
async function settle<T>(clock: VirtualClock, promise: Promise<T>, limitMs: number): Promise<T> {
  let done = false;
  const watched = promise.finally(() => (done = true));
  for (let t = 0; t < limitMs && !done; t += 10) await clock.advance(10);
  return watched;
}

describe('the dfs/stats/1 fan-out', () => {
  it('keeps good answers and marks a silent member timeout and a garbage answer invalid', async () => {
    const { clock, nodes } = await network(['asker', 'good', 'silent', 'garbage']);
    const [asker, good, silent, garbage] = nodes;
    serveStats(good!, async () => stats(7));
    silent!.handle(STATS_PROTOCOL, () => new Promise(() => undefined));
    garbage!.handle(STATS_PROTOCOL, () => ({ stats: { ...stats(1), files: -3, extra: 'x' } }));
    let finished = false;
    const asked = askMembersForStats({
      transport: asker!,
      clock,
      members: ['good', 'silent', 'garbage'].map((id) => ({ id, addr: `mem-${id}` })),
      deadlineMs: 1_000,
    }).finally(() => (finished = true));
    await clock.advance(999);
    expect(finished).toBe(false); // the silent member holds the answer until the deadline
    await clock.advance(1);
    const answers = await asked;
    expect(answers.get('good')).toEqual({ stats: stats(7) });
    expect(answers.get('silent')).toEqual({ stats: null, error: 'timeout' });
    expect(answers.get('garbage')).toEqual({ stats: null, error: 'invalid' });
  });

  it('answers as soon as every member did, without waiting for the deadline', async () => {
    const { clock, nodes } = await network(['asker', 'a', 'b']);
    serveStats(nodes[1]!, async () => stats(1));
    serveStats(nodes[2]!, async () => stats(2));
    const asked = askMembersForStats({
      transport: nodes[0]!,
      clock,
      members: [
        { id: 'a', addr: 'mem-a' },
        { id: 'b', addr: 'mem-b' },
      ],
      deadlineMs: 60_000,
    });
    const answers = await settle(clock, asked, 100);
    expect([...answers.values()].map((a) => a.stats?.files)).toEqual([1, 2]);
  });

  it('marks a member that is not there unreachable, and one without a handler too', async () => {
    const { clock, nodes } = await network(['asker', 'old']);
    const asked = askMembersForStats({
      transport: nodes[0]!,
      clock,
      members: [
        { id: 'gone', addr: 'mem-gone' },
        { id: 'old', addr: 'mem-old' },
      ],
      deadlineMs: 1_000,
    });
    const answers = await settle(clock, asked, 1_000);
    expect(answers.get('gone')).toEqual({ stats: null, error: 'unreachable' });
    expect(answers.get('old')).toEqual({ stats: null, error: 'unreachable' });
  });

  it('answers non-objects and missing stats as invalid', async () => {
    const replies: unknown[] = [null, 'stats', 42, [], { stats: 'x' }, {}];
    const { clock, nodes } = await network(['asker', ...replies.map((_, i) => `n${i}`)]);
    replies.forEach((reply, i) => nodes[i + 1]!.handle(STATS_PROTOCOL, () => reply));
    const asked = askMembersForStats({
      transport: nodes[0]!,
      clock,
      members: replies.map((_, i) => ({ id: `n${i}`, addr: `mem-n${i}` })),
      deadlineMs: 1_000,
    });
    const answers = await settle(clock, asked, 1_000);
    for (const answer of answers.values())
      expect(answer).toEqual({ stats: null, error: 'invalid' });
  });
});

describe('the status view', () => {
  const member = (
    id: string,
    state: 'alive' | 'suspect' | 'dead' | 'left',
    addr = `mem-${id}`,
  ) => ({
    id,
    addr,
    state,
    incarnation: 1,
    lastSeen: 5,
  });
  const view: ClusterView = {
    self: member('me', 'alive'),
    members: [
      member('me', 'alive'),
      member('up', 'alive'),
      member('slow', 'suspect'),
      member('down', 'dead'),
      member('gone', 'left'),
      member('reaped', 'dead', ''),
    ],
    replicas: 3,
    rebalancePaused: false,
    underReplicated: 0,
    surplus: 0,
  };

  it('asks only live members, reports its own stats, and names dead and left ones dead', async () => {
    const asked: string[] = [];
    const status = await clusterStatus({
      cluster: () => view,
      ownStats: async () => stats(9),
      apiOf: (id) => (id === 'up' ? 'http://127.0.0.1:4002' : undefined),
      ask: async (members) => {
        asked.push(...members.map((m) => m.id));
        return new Map<string, StatsAnswer>([
          ['up', { stats: stats(1) }],
          ['slow', { stats: null, error: 'timeout' }],
        ]);
      },
      now: () => 1234,
    });
    expect(asked).toEqual(['up', 'slow']);
    expect(statusViewSchema.parse(status)).toEqual(status);
    expect(status.self).toBe('me');
    expect(status.at).toBe(1234);
    expect(status.replicas).toBe(3);
    const byId = new Map(status.members.map((m) => [m.id, m]));
    expect([...byId.keys()]).toEqual(['me', 'up', 'slow', 'down', 'gone', 'reaped']);
    expect(byId.get('me')?.stats).toEqual(stats(9));
    expect(byId.get('up')).toMatchObject({ api: 'http://127.0.0.1:4002', stats: stats(1) });
    expect(byId.get('slow')).toMatchObject({ stats: null, error: 'timeout' });
    for (const id of ['down', 'gone', 'reaped']) {
      expect(byId.get(id)).toMatchObject({ stats: null, error: 'dead' });
    }
  });
});

describe("a node's own stats", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('come from its parts, its filesystem and its clock', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dfs-stats-'));
    const clock = new VirtualClock();
    const read = nodeStatsReader({
      dataDir: dir,
      clock,
      startedAt: clock.now(),
      localStats: () => ({ files: 3, bytes: 30 }),
      replication: () => ({ activeTransfers: 2, queuedTransfers: 5, servesInFlight: 1 }),
      transportBytes: () => ({ bytesIn: 100, bytesOut: 200 }),
      httpBytes: () => ({ in: 10, out: 20 }),
    });
    await clock.advance(1_500);
    const own = await read();
    expect(own).toMatchObject({
      files: 3,
      bytes: 30,
      transfersIn: 2,
      transfersOut: 1,
      backlog: 5,
      bytesIn: 110,
      bytesOut: 220,
      uptime: 1_500,
    });
    expect(own.diskTotal).toBeGreaterThan(0);
    expect(own.diskFree).toBeLessThanOrEqual(own.diskTotal);
  });
});

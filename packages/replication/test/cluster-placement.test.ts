import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { VirtualClock } from '@dfs/transport';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ClusterPlacement,
  type ClusterPlacementOptions,
  type MemberPlacement,
} from '../src/cluster-placement.js';
import { Placement } from '../src/placement.js';
import type { NodeRow } from '../src/nodes-table.js';
import type { SwimState } from '../src/out-tracker.js';

const GRACE = 10_000;
const NAMES = Array.from({ length: 200 }, (_, i) => `dir-${i % 9}/file-${i}`);
const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `n${i}`);

function row(id: string, extra: Partial<NodeRow> = {}): NodeRow {
  return {
    id,
    capacity: 1,
    replicas: 3,
    api: `http://${id}`,
    status: 'active',
    since: 1_000,
    stamp: 1_000,
    writer: id,
    ...extra,
  };
}

async function openPlacement(
  clock: VirtualClock,
  options: Partial<ClusterPlacementOptions> = {},
): Promise<ClusterPlacement> {
  return ClusterPlacement.open({
    nodeId: 'n0',
    replicas: 3,
    capacity: 1,
    api: 'http://n0',
    clock,
    outAfterMs: GRACE,
    fsync: false,
    ...options,
  });
}

/** A placement for `self` over members n0..n(count-1), with `states` overriding 'alive'. */
async function cluster(
  count: number,
  states: Record<string, SwimState> = {},
  self = 'n0',
): Promise<{ clock: VirtualClock; placement: ClusterPlacement }> {
  const clock = new VirtualClock();
  const placement = await openPlacement(clock, { nodeId: self, api: `http://${self}` });
  placement.merge(
    ids(count)
      .filter((id) => id !== self)
      .map((id) => row(id)),
  );
  placement.observe(ids(count).map((id) => ({ id, state: states[id] ?? 'alive' })));
  return { clock, placement };
}

const stateOf = (p: ClusterPlacement, id: string): MemberPlacement =>
  p.memberStates().find((m) => m.id === id)!;

const outIds = (p: ClusterPlacement): string[] =>
  p
    .memberStates()
    .filter((m) => m.state === 'out')
    .map((m) => m.id);

describe('ClusterPlacement', () => {
  it('gives the same targets and holders whatever order rows and members arrive in', async () => {
    const rowArb = fc.record({
      id: fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5', 'é'),
      capacity: fc.constantFrom(1, 2, 4),
      status: fc.constantFrom('active' as const, 'active' as const, 'draining' as const),
      stamp: fc.integer({ min: 1, max: 5 }),
    });
    const input = fc
      .tuple(
        fc.array(rowArb, { maxLength: 10 }),
        fc.dictionary(
          fc.constantFrom('n1', 'n2', 'n3', 'n4', 'n5', 'é'),
          fc.constantFrom<SwimState>('alive', 'suspect', 'dead', 'left'),
        ),
      )
      .chain(([rows, states]) =>
        fc.tuple(
          fc.constant(rows),
          fc.shuffledSubarray(rows, { minLength: rows.length, maxLength: rows.length }),
          fc.constant(Object.entries(states).map(([id, state]) => ({ id, state }))),
        ),
      );
    await fc.assert(
      fc.asyncProperty(input, async ([rows, shuffled, members]) => {
        const views = [];
        for (const order of [rows, shuffled]) {
          const clock = new VirtualClock();
          const p = await openPlacement(clock);
          for (const r of order) p.merge([row(r.id, r)]);
          p.observe([...members].reverse());
          views.push(p);
        }
        const [a, b] = views as [ClusterPlacement, ClusterPlacement];
        expect(a.rows()).toEqual(b.rows());
        for (const name of NAMES.slice(0, 20)) {
          expect(a.targets(name)).toEqual(b.targets(name));
          expect(a.holders(name)).toEqual(b.holders(name));
        }
      }),
      { numRuns: 150 },
    );
  });

  it('ranks the in members with placement/1 and caps at R; with N ≤ R every member is a target', async () => {
    const { placement } = await cluster(8);
    const reference = Placement.of(ids(8).map((id) => ({ id, weight: 1 })));
    for (const name of NAMES) expect(placement.targets(name)).toEqual(reference.rank(name, 3));
    const small = await cluster(3);
    for (const name of NAMES.slice(0, 20)) {
      expect([...small.placement.targets(name)].sort()).toEqual(['n0', 'n1', 'n2']);
    }
  });

  it('keeps a down member in for outAfterMs − 1, marks it out at outAfterMs, and in again once it is back', async () => {
    const { clock, placement } = await cluster(10);
    let changes = 0;
    placement.onChange(() => changes++);
    placement.observe(ids(10).map((id) => ({ id, state: id === 'n9' ? 'dead' : 'alive' })));
    const downAt = clock.now();
    expect(stateOf(placement, 'n9')).toMatchObject({ state: 'down', up: false, downSince: downAt });
    expect(changes).toBe(1);
    await clock.advance(GRACE - 1);
    placement.tick();
    expect(stateOf(placement, 'n9').state).toBe('down');
    expect(NAMES.some((n) => placement.targets(n).includes('n9'))).toBe(true);
    await clock.advance(1);
    placement.tick();
    expect(stateOf(placement, 'n9')).toMatchObject({ state: 'out', weight: 0 });
    expect(NAMES.some((n) => placement.targets(n).includes('n9'))).toBe(false);
    expect(changes).toBe(2);
    placement.observe(ids(10).map((id) => ({ id, state: id === 'n9' ? 'suspect' : 'alive' })));
    expect(stateOf(placement, 'n9')).toMatchObject({ state: 'in', up: true });
    expect(stateOf(placement, 'n9').downSince).toBeUndefined();
    expect(changes).toBe(3);
  });

  it('counts left and absent members as down; self is always up', async () => {
    const { placement } = await cluster(5);
    placement.observe([
      { id: 'n0', state: 'dead' },
      { id: 'n1', state: 'left' },
      { id: 'n2', state: 'alive' },
      { id: 'n3', state: 'suspect' },
    ]);
    expect(placement.memberStates().map((m) => [m.id, m.up])).toEqual([
      ['n0', true],
      ['n1', false],
      ['n2', true],
      ['n3', true],
      ['n4', false],
    ]);
  });

  it('brake: a 50/50 split marks nothing out even after 2 × outAfterMs', async () => {
    const dead = Object.fromEntries(
      ids(10)
        .slice(5)
        .map((id) => [id, 'dead' as const]),
    );
    const { clock, placement } = await cluster(10, dead);
    expect(placement.paused).toBe(true);
    await clock.advance(2 * GRACE);
    placement.tick();
    expect(outIds(placement)).toEqual([]);
    expect(placement.paused).toBe(true);
  });

  it('brake: a 90/10 split marks the 10% out on the majority side and nothing on the minority side', async () => {
    const majority = await cluster(10, { n9: 'dead' });
    expect(majority.placement.paused).toBe(false);
    await majority.clock.advance(GRACE);
    majority.placement.tick();
    expect(outIds(majority.placement)).toEqual(['n9']);

    const minorityStates = Object.fromEntries(ids(9).map((id) => [id, 'dead' as const]));
    const minority = await cluster(10, minorityStates, 'n9');
    expect(minority.placement.paused).toBe(true);
    await minority.clock.advance(2 * GRACE);
    minority.placement.tick();
    expect(outIds(minority.placement)).toEqual([]);
  });

  it('counts rows loaded at open as down from open time', async () => {
    const dir = await tempDir();
    const clock = new VirtualClock();
    const first = await openPlacement(clock, { dir });
    first.merge([row('n1'), row('n2')]);
    await first.close();
    await clock.advance(5_000);
    const second = await openPlacement(clock, { dir });
    expect(stateOf(second, 'n1')).toMatchObject({ state: 'down', downSince: clock.now() });
  });

  it('drain: weight 0, a target only when too few others; one-way, even against a newer own refresh', async () => {
    const { placement } = await cluster(6);
    let changes = 0;
    placement.onChange(() => changes++);
    const drained = await placement.drain('n3');
    expect(drained).toMatchObject({ id: 'n3', status: 'draining', writer: 'n0' });
    expect(drained.stamp).toBeGreaterThan(1_000);
    expect(stateOf(placement, 'n3')).toMatchObject({ state: 'draining', weight: 0, up: true });
    expect(changes).toBe(1);
    for (const name of NAMES) expect(placement.targets(name)).not.toContain('n3');
    // n3 refreshes its own row later (say with a new api): still draining.
    placement.merge([row('n3', { api: 'http://new', stamp: drained.stamp + 1 })]);
    expect(stateOf(placement, 'n3')).toMatchObject({ state: 'draining', api: 'http://new' });
    // An api-only change moves nothing: no change event.
    expect(changes).toBe(1);

    const three = await cluster(3);
    await three.placement.drain('n2');
    for (const name of NAMES.slice(0, 20)) {
      expect(three.placement.targets(name)[2]).toBe('n2');
    }
    await expect(placement.drain('nobody')).rejects.toMatchObject({ code: 'ERR_NOT_MEMBER' });
  });

  it('remove: out at once and for good, even when the member is alive', async () => {
    const { placement } = await cluster(6);
    await placement.remove('n4');
    expect(stateOf(placement, 'n4').state).toBe('removed');
    placement.observe(ids(6).map((id) => ({ id, state: 'alive' })));
    for (const name of NAMES) expect(placement.holders(name)).not.toContain('n4');
    await placement.drain('n4');
    expect(placement.rows().find((r) => r.id === 'n4')!.status).toBe('removed');
  });

  it('holders: a down target is replaced by the next-ranked up in member; targets stay', async () => {
    const { placement } = await cluster(6);
    const reference = Placement.of(ids(6).map((id) => ({ id, weight: 1 })));
    // A name whose first five ranks are other nodes (this node, n0, is always up).
    const name = NAMES.find((n) => !reference.rank(n, 5).includes('n0'))!;
    const ranked = reference.rank(name);
    const [t0, t1, t2, f3, f4] = ranked as [string, string, string, string, string];
    placement.observe(ids(6).map((id) => ({ id, state: id === t1 ? 'dead' : 'alive' })));
    expect(placement.targets(name)).toEqual([t0, t1, t2]);
    expect(placement.holders(name)).toEqual([t0, f3, t2]);
    // Two down targets, and the first fallback down too: the next up ones stand in, in rank order.
    const down = new Set([t0, t2, f3]);
    placement.observe(ids(6).map((id) => ({ id, state: down.has(id) ? 'left' : 'alive' })));
    expect(placement.holders(name)).toEqual([f4, t1, ranked[5]]);
    expect(placement.isUp(t0)).toBe(false);
    expect(placement.isUp(t1)).toBe(true);
  });

  it('R conflict: the oldest row sets R; members with another R are not placed on', async () => {
    const clock = new VirtualClock();
    const placement = await openPlacement(clock);
    expect(placement.replicasConflict).toBeUndefined();
    placement.merge([row('n1', { replicas: 2, since: 10 }), row('n2', { replicas: 2 })]);
    placement.observe(ids(3).map((id) => ({ id, state: 'alive' })));
    expect(placement.replicas).toBe(2);
    expect(placement.replicasConflict).toEqual({ clusterReplicas: 2, ownReplicas: 3 });
    expect(stateOf(placement, 'n0').state).toBe('out');
    for (const name of NAMES.slice(0, 20)) {
      expect([...placement.targets(name)].sort()).toEqual(['n1', 'n2']);
    }
  });

  it('refuses hostile rows: too many, far-future stamps, bad capacity, unknown fields', async () => {
    const { clock, placement } = await cluster(3);
    const before = placement.rows();
    const many = Array.from({ length: 4097 }, (_, i) => row(`x${i}`));
    expect(placement.merge(many)).toBe(false);
    const future = clock.now() + 60_001;
    expect(placement.merge([row('x1', { stamp: future })])).toBe(false);
    expect(placement.merge([row('x2', { capacity: 0 })])).toBe(false);
    expect(placement.merge([row('x3', { capacity: 2 ** 33 })])).toBe(false);
    expect(placement.merge([{ ...row('x4'), admin: true } as NodeRow])).toBe(false);
    expect(placement.merge([row('n1', { status: 'removed', stamp: future })])).toBe(false);
    expect(placement.rows()).toEqual(before);
    expect(placement.refusedRows).toBe(4097 + 5);
    // A good row among bad ones still merges.
    expect(placement.merge([row('x5', { capacity: -1 }), row('x6')])).toBe(true);
  });

  it('persists nodes.json and reads it back; own status survives a restart', async () => {
    const dir = await tempDir();
    const clock = new VirtualClock();
    const first = await openPlacement(clock, { dir });
    first.merge([row('n1'), row('n2', { capacity: 4 })]);
    await first.drain('n2');
    await first.remove('n0');
    const rows = first.rows();
    await first.close();
    const second = await openPlacement(clock, { dir });
    expect(second.rows()).toEqual(rows);
    expect(second.rows().find((r) => r.id === 'n0')!.status).toBe('removed');
    await second.close();
    // A restart with a new api rewrites the own row but keeps its status.
    const third = await openPlacement(clock, { dir, api: 'http://moved' });
    expect(third.rows().find((r) => r.id === 'n0')).toMatchObject({
      status: 'removed',
      api: 'http://moved',
    });
    expect(third.apiOf('n0')).toBe('http://moved');
    await third.close();
  });

  it('keeps a damaged nodes.json aside and starts empty', async () => {
    const dir = await tempDir();
    const clock = new VirtualClock();
    await writeFile(join(dir, 'nodes.json'), '{"v":1,"rows":[{"id":');
    const first = await openPlacement(clock, { dir });
    expect(first.rows().map((r) => r.id)).toEqual(['n0']);
    await first.close();
    expect(await readFile(join(dir, 'nodes.json.damaged-1'), 'utf8')).toBe('{"v":1,"rows":[{"id":');
    await writeFile(join(dir, 'nodes.json'), JSON.stringify({ v: 1, rows: [{ id: 'bad' }] }));
    const second = await openPlacement(clock, { dir });
    await second.close();
    expect((await readdir(dir)).sort()).toEqual([
      'nodes.json',
      'nodes.json.damaged-1',
      'nodes.json.damaged-2',
    ]);
  });
});

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-nodes-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

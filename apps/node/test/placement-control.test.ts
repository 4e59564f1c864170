import type { ClusterPlacement } from '@dfs/replication';
import { describe, expect, it } from 'vitest';
import { placementControl } from '../src/placement-control.js';

type Row = ReturnType<ClusterPlacement['memberStates']>[number];
const row = (id: string, state: Row['state'], up = true): Row => ({
  id,
  state,
  up,
  capacity: 1,
  weight: state === 'in' ? 1 : 0,
  api: '',
  replicas: 3,
});

function control(rows: Row[], live: string[]) {
  const placement = { memberStates: () => rows, replicas: 3 } as unknown as ClusterPlacement;
  return placementControl({
    nodeId: 'a',
    placement,
    store: { has: async () => false },
    liveIds: () => live,
  });
}

describe('placementControl.placedMembers (the bound on ?w)', () => {
  it('counts in and down rows, not out, draining or removed ones', () => {
    const rows = [
      row('a', 'in'),
      row('b', 'down', false),
      row('c', 'out', false),
      row('d', 'draining'),
      row('e', 'removed'),
    ];
    expect(control(rows, ['b', 'd']).placedMembers()).toBe(2);
  });

  it('counts a live member the nodes table has no row for yet, and this node, once each', () => {
    expect(control([row('a', 'in')], ['a', 'fresh']).placedMembers()).toBe(2);
    expect(control([], []).placedMembers()).toBe(1);
  });
});

/**
 * The node's placement glue: the one-line R mismatch message and when it fires, the API base URL a
 * node advertises in the nodes table, and `/v1/cluster` built from SWIM, placement and the engine.
 */
import { describe, expect, it } from 'vitest';
import { clusterViewSchema } from '@dfs/api';
import { VirtualClock } from '@dfs/transport';
import { clusterView, type ClusterPlacementSource } from '../src/membership.js';
import {
  apiBaseUrl,
  replicasConflictMessage,
  watchReplicasConflict,
  type ReplicasConflict,
} from '../src/node-placement.js';

describe('the --replicas check', () => {
  it('says in one line what differs and how to start', () => {
    expect(replicasConflictMessage({ ownReplicas: 2, clusterReplicas: 3 })).toBe(
      "--replicas 2 differs from the cluster's 3; start with --replicas 3",
    );
  });

  it('fires once, when a sync reveals the conflict, and not after unsubscribing', () => {
    const listeners = new Set<() => void>();
    const fake = {
      replicasConflict: undefined as ReplicasConflict | undefined,
      onChange(listener: () => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
    const messages: string[] = [];
    const unwatch = watchReplicasConflict(fake, (message) => messages.push(message));
    for (const listener of listeners) listener();
    expect(messages).toEqual([]);
    fake.replicasConflict = { ownReplicas: 5, clusterReplicas: 3 };
    for (const listener of listeners) listener();
    for (const listener of listeners) listener();
    expect(messages).toEqual([
      "--replicas 5 differs from the cluster's 3; start with --replicas 3",
    ]);
    unwatch();
    expect(listeners.size).toBe(0);
  });

  it('fires at once when the conflict is already known', () => {
    const messages: string[] = [];
    watchReplicasConflict(
      { replicasConflict: { ownReplicas: 1, clusterReplicas: 3 }, onChange: () => () => true },
      (message) => messages.push(message),
    );
    expect(messages).toHaveLength(1);
  });
});

describe('the API base URL in the nodes table', () => {
  it.each([
    [{}, '127.0.0.1:4001', 'http://127.0.0.1:4001'],
    [{ advertise: 'node1.example:5000' }, '0.0.0.0:4001', 'http://node1.example:4001'],
    [{ advertise: '[fd00::1]:5000' }, '[::]:8080', 'http://[fd00::1]:8080'],
    [{ tls: { cert: 'c', key: 'k' } }, '10.0.0.5:4001', 'https://10.0.0.5:4001'],
  ])('%j with the API on %s is %s', (config, apiAddress, url) => {
    expect(apiBaseUrl(config, apiAddress)).toBe(url);
  });
});

describe('/v1/cluster', () => {
  const clock = new VirtualClock(1_000);
  const member = (id: string, state: 'alive' | 'dead' | 'left') => ({
    id,
    address: `${id}:1`,
    state,
    incarnation: 1,
    lastSeen: 500,
  });
  const membership = {
    self: member('a', 'alive'),
    members: () => [member('a', 'alive'), member('b', 'dead'), member('c', 'alive')],
  } as never;
  const placement: ClusterPlacementSource = {
    replicas: 3,
    paused: true,
    memberStates: () => [
      { id: 'a', state: 'in', weight: 1, capacity: 1 },
      { id: 'b', state: 'down', weight: 2, capacity: 2 },
      { id: 'c', state: 'draining', weight: 0, capacity: 1 },
      { id: 'd', state: 'out', weight: 0, capacity: 1 },
      { id: 'e', state: 'removed', weight: 0, capacity: 1 },
    ],
  };
  const view = clusterView(membership, clock, placement, () => ({
    underReplicatedFiles: 7,
    surplusCopies: 2,
  }));

  it('carries R, the brake and the counts, and fits the contract', () => {
    expect(view).toMatchObject({
      replicas: 3,
      rebalancePaused: true,
      underReplicated: 7,
      surplus: 2,
    });
    expect(clusterViewSchema.safeParse(view).success).toBe(true);
    expect(view.self).toMatchObject({ id: 'a', lastSeen: 1_000, placement: { state: 'in' } });
  });

  it('gives every member its placement, and lists members only the nodes table still knows', () => {
    expect(view.members.map((m) => [m.id, m.state, m.placement?.state])).toEqual([
      ['a', 'alive', 'in'],
      ['b', 'dead', 'down'],
      ['c', 'alive', 'draining'],
      // Reaped by SWIM, still in the table: shown as dead, without an address.
      ['d', 'dead', 'out'],
    ]);
    expect(view.members.find((m) => m.id === 'd')).toMatchObject({ addr: '', incarnation: 0 });
    expect(view.members.find((m) => m.id === 'b')?.placement).toEqual({
      state: 'down',
      weight: 2,
      capacity: 2,
    });
  });
});

import { VirtualClock } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Member } from '../src/index.js';
import type { WireUpdate } from '../src/messages.js';
import { MembershipView } from '../src/view.js';

const SUSPECT = 1;

/** A view of node "a" that already knows x (alive) plus a few peers, and records deaths. */
function makeView(clock: VirtualClock) {
  const deaths: { id: string; at: number }[] = [];
  const view = new MembershipView({
    selfId: 'a',
    address: () => 'addr-a',
    incarnation: 0,
    clock,
    config: { ...DEFAULT_CONFIG },
    hooks: {
      emit: (event, ...args) => {
        if (event === 'dead') deaths.push({ id: (args[0] as Member).id, at: clock.now() });
      },
      onNews() {},
      onRevived() {},
      isLeaving: () => false,
      log: { debug() {}, info() {} },
    },
  });
  const alive: WireUpdate[] = ['x', 's1', 's2', 's3', 's4'].map((id) => [
    id,
    `addr-${id}`,
    0,
    0,
    '',
  ]);
  view.mergeAll(alive, 's1');
  return { view, deaths };
}

const suspicion = (from: string): WireUpdate => ['x', 'addr-x', SUSPECT, 0, from];

describe('suspicion confirmations arriving as gossip', () => {
  it('shorten the suspicion per distinct confirmer and are passed on with the new name', async () => {
    const clock = new VirtualClock(0);
    const lone = makeView(clock);
    const confirmed = makeView(clock);
    for (const { view } of [lone, confirmed]) {
      view.mergeAll([suspicion('s1')], 's1');
      view.piggyback(); // the first sends of the suspicion itself
    }
    // The same suspecter again, and its claim relayed by others: not confirmations.
    lone.view.mergeAll([suspicion('s1'), suspicion('s1')], 's2');
    lone.view.mergeAll([suspicion('')], 's1');
    // Three distinct suspecters: two named on the wire, one only as the sender.
    confirmed.view.mergeAll([suspicion('s2'), suspicion('s3')], 's1');
    confirmed.view.mergeAll([suspicion('')], 's4');
    expect(confirmed.view.piggyback().map((w) => w[4])).toContain('s4');
    await clock.advance(60_000);
    const diedAt = (deaths: { id: string; at: number }[]) => deaths.find((d) => d.id === 'x')?.at;
    const loneDeath = diedAt(lone.deaths);
    const confirmedDeath = diedAt(confirmed.deaths);
    expect(loneDeath).toBeDefined();
    expect(confirmedDeath).toBeDefined();
    expect(confirmedDeath!).toBeLessThan(loneDeath!);
  });

  it('ignore older claims about a suspect and apply newer ones', () => {
    const clock = new VirtualClock(0);
    const { view } = makeView(clock);
    view.mergeAll([['x', 'addr-x', SUSPECT, 2, 's1']], 's1');
    expect(view.table.get('x')).toMatchObject({ state: 'suspect', incarnation: 2 });
    view.mergeAll(
      [
        ['x', 'addr-x', 0, 1, ''],
        ['x', 'addr-x', SUSPECT, 1, 's2'],
      ],
      's2',
    );
    expect(view.table.get('x')).toMatchObject({ state: 'suspect', incarnation: 2 });
    view.mergeAll([['x', 'addr-x', 0, 3, '']], 's2');
    expect(view.table.get('x')).toMatchObject({ state: 'alive', incarnation: 3 });
  });
});

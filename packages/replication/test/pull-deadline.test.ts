import { VirtualClock, seededRandom } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { HolderChoice } from '../src/holder-choice.js';
import { PullDeadline } from '../src/pull-deadline.js';
import type { IdleVerdict } from '../src/pull-deadline.js';

function watch(clock: VirtualClock, idleVerdict: () => IdleVerdict) {
  const events: string[] = [];
  const deadline = new PullDeadline({
    clock,
    openTimeoutMs: 100,
    idleTimeoutMs: 300,
    onOpenExpired: () => events.push(`open@${clock.now()}`),
    onIdle: () => {
      const verdict = idleVerdict();
      events.push(`idle-${verdict}@${clock.now()}`);
      return verdict;
    },
  });
  return { deadline, events };
}

describe('PullDeadline', () => {
  it('expires when the first byte does not come within the open timeout', async () => {
    const clock = new VirtualClock(0);
    const { events } = watch(clock, () => 'abort');
    await clock.advance(1_000);
    expect(events).toEqual(['open@100']);
  });

  it('after the first byte, expires only after a full idle period without one', async () => {
    const clock = new VirtualClock(0);
    const { deadline, events } = watch(clock, () => 'abort');
    await clock.advance(50);
    deadline.progress();
    for (let i = 0; i < 5; i++) {
      await clock.advance(250);
      deadline.progress();
    }
    expect(events).toEqual([]);
    await clock.advance(1_000);
    expect(events).toEqual([`idle-abort@${50 + 5 * 250 + 300}`]);
  });

  it('keeps waiting while the owner says the silence is its own backpressure, and stop() ends it', async () => {
    const clock = new VirtualClock(0);
    const { deadline, events } = watch(clock, () => 'wait');
    deadline.progress();
    await clock.advance(700);
    expect(events).toEqual(['idle-wait@300', 'idle-wait@600']);
    deadline.stop();
    await clock.advance(1_000);
    expect(events).toHaveLength(2);
  });
});

describe('HolderChoice', () => {
  const peers = ['a', 'b', 'c', 'd', 'e'].map((id) => ({ id, address: `mem-${id}` }));

  it('tries live holders only, at most maxPerPull, recent failures and `avoid` last', async () => {
    const clock = new VirtualClock(0);
    const choice = new HolderChoice({
      clock,
      random: seededRandom(7),
      memoryMs: 1_000,
      maxPerPull: 3,
    });
    const live = peers.slice(0, 4); // 'e' is not live
    for (let round = 0; round < 20; round++) {
      const chosen = choice.choose(['a', 'b', 'c', 'd', 'e'], live).map((p) => p.id);
      expect(chosen).toHaveLength(3);
      expect(chosen).not.toContain('e');
    }
    choice.failed('a');
    await clock.advance(10);
    choice.failed('b');
    for (let round = 0; round < 20; round++) {
      expect(choice.choose(['a', 'b', 'c'], live).map((p) => p.id)).toEqual(['c', 'a', 'b']);
      expect(choice.choose(['a', 'b', 'c', 'd'], live, 'c').map((p) => p.id)[0]).toBe('d');
    }
    choice.succeeded('a');
    expect(choice.choose(['a', 'b'], live).map((p) => p.id)).toEqual(['a', 'b']);
    await clock.advance(1_001);
    const forgotten = new Set<string>();
    for (let round = 0; round < 20; round++) {
      forgotten.add(choice.choose(['a', 'b'], live)[0]!.id);
    }
    expect(forgotten).toEqual(new Set(['a', 'b']));
  });
});

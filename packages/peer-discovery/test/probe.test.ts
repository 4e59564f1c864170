import { VirtualClock, seededRandom } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { ProbeOrder, probeMember, type ProbeSteps } from '../src/probe.js';

describe('the probe order', () => {
  it('probes every member once per pass, in a different order each pass', () => {
    const order = new ProbeOrder(seededRandom(7));
    const ids = Array.from({ length: 20 }, (_, i) => `m${i}`);
    const passes: string[][] = [];
    for (let pass = 0; pass < 3; pass++) {
      const seen: string[] = [];
      for (let i = 0; i < ids.length; i++) {
        seen.push(
          order.next(
            () => ids,
            (id) => id,
          ) as string,
        );
      }
      expect([...seen].sort()).toEqual([...ids].sort());
      passes.push(seen);
    }
    expect(passes[0]).not.toEqual(passes[1]);
  });

  it('skips members that went away and probes a newcomer within the current pass', () => {
    const order = new ProbeOrder(seededRandom(3));
    const live = new Set(['a', 'b', 'c', 'd']);
    const first = order.next(
      () => [...live],
      (id) => (live.has(id) ? id : undefined),
    ) as string;
    const gone = [...live].find((id) => id !== first) as string;
    live.delete(gone);
    live.add('e');
    order.add('e');
    const rest: string[] = [];
    for (let i = 0; i < 3; i++) {
      rest.push(
        order.next(
          () => [...live],
          (id) => (live.has(id) ? id : undefined),
        ) as string,
      );
    }
    expect(rest).not.toContain(gone);
    expect([first, ...rest].sort()).toEqual([...live].sort());
  });

  it('returns undefined when there is nobody to probe', () => {
    const order = new ProbeOrder(seededRandom(1));
    expect(
      order.next(
        () => [],
        (id) => id,
      ),
    ).toBeUndefined();
  });
});

function steps(direct: boolean, indirect: boolean[], asked: string[] = []): ProbeSteps<string> {
  return {
    direct: async () => direct,
    indirect: async (helper) => {
      asked.push(helper);
      return indirect[Number(helper)] ?? false;
    },
    helpers: () => indirect.map((_, i) => String(i)),
  };
}

const timing = () => ({ clock: new VirtualClock(0), probeTimeoutMs: 50 });

describe('one probe', () => {
  it('needs no helpers when the target answers', async () => {
    const asked: string[] = [];
    expect(await probeMember('t', steps(true, [false, false], asked), timing())).toBe('direct');
    expect(asked).toEqual([]);
  });

  it('asks every helper at once and succeeds when any one reaches the target', async () => {
    const asked: string[] = [];
    const outcome = await probeMember('t', steps(false, [false, true, false], asked), timing());
    expect(outcome).toBe('indirect');
    expect(asked).toEqual(['0', '1', '2']);
  });

  it('fails only when the direct and every indirect path fail', async () => {
    expect(await probeMember('t', steps(false, [false, false, false]), timing())).toBe('failed');
    expect(await probeMember('t', steps(false, []), timing())).toBe('failed');
  });

  it('treats a helper that throws as a failed path', async () => {
    const throwing: ProbeSteps<string> = {
      direct: async () => false,
      indirect: async () => {
        throw new Error('boom');
      },
      helpers: () => ['h'],
    };
    expect(await probeMember('t', throwing, timing())).toBe('failed');
  });

  it('starts indirect probes at the timeout yet still takes a late direct ack', async () => {
    const clock = new VirtualClock(0);
    const asked: string[] = [];
    let ackAt = -1;
    const slow: ProbeSteps<string> = {
      // The ack arrives after the probe timeout (50) but within the period.
      direct: () =>
        new Promise((resolve) =>
          clock.setTimeout(() => {
            ackAt = clock.now();
            resolve(true);
          }, 80),
        ),
      indirect: (helper) => {
        asked.push(helper);
        return new Promise((resolve) => clock.setTimeout(() => resolve(false), 200));
      },
      helpers: () => ['h1', 'h2'],
    };
    const outcome = probeMember('t', slow, { clock, probeTimeoutMs: 50 });
    await clock.advance(100);
    expect(await outcome).toBe('direct');
    expect(ackAt).toBe(80);
    expect(asked).toEqual(['h1', 'h2']);
  });
});

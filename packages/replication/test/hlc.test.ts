import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@dfs/transport';
import {
  ClockExhaustedError,
  HybridLogicalClock,
  MAX_TIMESTAMP,
  compareTimestamps,
  compareVersions,
  decodeVersion,
  encodeVersion,
  versionNodeId,
  versionWallTime,
} from '../src/hlc.js';

const timestamp = fc.record({
  wall: fc.integer({ min: 0, max: 2 ** 44 }),
  counter: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
});
const nodeId = fc.string({ minLength: 1, maxLength: 12 });

describe('version encoding', () => {
  it('string order equals (wall, counter, node id) order', () => {
    fc.assert(
      fc.property(timestamp, nodeId, timestamp, nodeId, (ta, na, tb, nb) => {
        const byParts = compareTimestamps(ta, tb) || (na < nb ? -1 : na > nb ? 1 : 0);
        const byString = compareVersions(encodeVersion(ta, na), encodeVersion(tb, nb));
        expect(Math.sign(byString)).toBe(Math.sign(byParts));
      }),
    );
  });

  it('round-trips through decodeVersion', () => {
    fc.assert(
      fc.property(timestamp, nodeId, (t, n) => {
        const v = encodeVersion(t, n);
        expect(decodeVersion(v)).toEqual({ ...t, nodeId: n });
        expect(versionWallTime(v)).toBe(t.wall);
        expect(versionNodeId(v)).toBe(n);
      }),
    );
  });

  it('rejects strings that are not versions', () => {
    for (const bad of [
      '',
      'abc',
      '0000000000000.00000000.x',
      '00000000000g.00000000.x',
      '000000000000.00000000.',
    ]) {
      expect(decodeVersion(bad)).toBeUndefined();
    }
    expect(() => encodeVersion({ wall: 1, counter: 0 }, '')).toThrow(RangeError);
  });
});

describe('HybridLogicalClock', () => {
  it('issues strictly increasing timestamps whatever the wall clock and remote clocks do', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: -5000, max: 5000 }) }),
      fc.record({ kind: fc.constant('observe' as const), remote: timestamp }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        let wall = 1_700_000_000_000;
        const clock = {
          now: () => wall,
          setTimeout: () => ({ cancel() {} }),
          setInterval: () => ({ cancel() {} }),
        };
        const hlc = new HybridLogicalClock({ clock, nodeId: 'a', maxSkewMs: 2 ** 45 });
        let previous = hlc.now();
        let maxObserved = previous;
        for (const s of steps) {
          if (s.kind === 'observe') {
            const taken = hlc.observe(s.remote);
            if (taken && compareTimestamps(s.remote, maxObserved) > 0) maxObserved = s.remote;
            continue;
          }
          wall += s.dt;
          const next = hlc.now();
          expect(compareTimestamps(next, previous)).toBeGreaterThan(0);
          expect(compareTimestamps(next, maxObserved)).toBeGreaterThan(0);
          expect(next.wall).toBeGreaterThanOrEqual(wall);
          previous = next;
          maxObserved = next;
        }
      }),
    );
  });

  it('tracks physical time when it moves forward', async () => {
    const clock = new VirtualClock(1_000_000);
    const hlc = new HybridLogicalClock({ clock, nodeId: 'n1', maxSkewMs: 60_000 });
    expect(hlc.now()).toEqual({ wall: 1_000_000, counter: 0 });
    expect(hlc.now()).toEqual({ wall: 1_000_000, counter: 1 });
    await clock.advance(5);
    expect(hlc.now()).toEqual({ wall: 1_000_005, counter: 0 });
  });

  it('never goes backwards across a restart from the persisted high-water mark', () => {
    const clock = new VirtualClock(5_000);
    const first = new HybridLogicalClock({ clock, nodeId: 'n1', maxSkewMs: 60_000 });
    first.observe({ wall: 9_000, counter: 7 });
    const issued = first.nextVersion();
    // Restart with a wall clock that went back in time.
    const restarted = new HybridLogicalClock({
      clock: new VirtualClock(1_000),
      nodeId: 'n1',
      highWater: first.last,
      maxSkewMs: 60_000,
    });
    expect(compareVersions(restarted.nextVersion(), issued)).toBeGreaterThan(0);
  });

  it('borrows the next millisecond instead of wrapping an exhausted counter', () => {
    const hlc = new HybridLogicalClock({
      clock: new VirtualClock(10),
      nodeId: 'n',
      highWater: { wall: 10, counter: 2 ** 32 - 1 },
      maxSkewMs: 60_000,
    });
    expect(hlc.now()).toEqual({ wall: 11, counter: 0 });
  });

  it('refuses to issue at the largest encodable timestamp instead of wrapping back', () => {
    const hlc = new HybridLogicalClock({
      clock: new VirtualClock(10),
      nodeId: 'n',
      highWater: MAX_TIMESTAMP,
      maxSkewMs: 60_000,
    });
    expect(() => hlc.nextVersion()).toThrow(ClockExhaustedError);
    expect(() => hlc.now()).toThrow(
      expect.objectContaining({ name: 'ReplicationError', code: 'ERR_UNAVAILABLE' }),
    );
    expect(hlc.last).toEqual(MAX_TIMESTAMP);
    // One below the maximum still issues the maximum itself, once.
    const almost = new HybridLogicalClock({
      clock: new VirtualClock(10),
      nodeId: 'n',
      highWater: { wall: MAX_TIMESTAMP.wall, counter: MAX_TIMESTAMP.counter - 1 },
      maxSkewMs: 60_000,
    });
    expect(almost.now()).toEqual(MAX_TIMESTAMP);
    expect(() => almost.now()).toThrow(ClockExhaustedError);
  });

  it('refuses to observe a remote timestamp the maximum skew or more ahead of the wall clock', () => {
    const clock = new VirtualClock(1_000_000);
    const hlc = new HybridLogicalClock({ clock, nodeId: 'n', maxSkewMs: 60_000 });
    expect(hlc.observe({ wall: 1_000_000 + 59_999, counter: 2 ** 32 - 1 })).toBe(true);
    expect(hlc.observe({ wall: 1_000_000 + 60_000, counter: 0 })).toBe(false);
    expect(hlc.observeVersion('ffffffffffff.ffffffff.evil')).toBe(false);
    expect(hlc.last).toEqual({ wall: 1_059_999, counter: 2 ** 32 - 1 });
    expect(hlc.now()).toEqual({ wall: 1_060_000, counter: 0 });
  });

  it('stays monotonic and within now + max skew whatever remote timestamps it is shown', () => {
    const maxSkewMs = 60_000;
    const start = 1_700_000_000_000;
    const step = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), dt: fc.integer({ min: 0, max: 120_000 }) }),
      fc.record({ kind: fc.constant('issue' as const) }),
      fc.record({
        kind: fc.constant('observe' as const),
        remote: fc.oneof(
          // Near the bound, on either side of it, with any counter (exhausted ones included).
          fc.record({
            ahead: fc.integer({ min: -maxSkewMs, max: 2 * maxSkewMs }),
            counter: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          }),
          // Anything encodable: the year 10889, +100 years, the epoch.
          fc.record({
            wall: fc.integer({ min: 0, max: 16 ** 12 - 1 }),
            counter: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          }),
        ),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), (steps) => {
        let wall = start;
        const clock = {
          now: () => wall,
          setTimeout: () => ({ cancel() {} }),
          setInterval: () => ({ cancel() {} }),
        };
        const hlc = new HybridLogicalClock({ clock, nodeId: 'a', maxSkewMs });
        let previous = hlc.now();
        for (const s of steps) {
          if (s.kind === 'tick') {
            wall += s.dt;
          } else if (s.kind === 'observe') {
            const remote =
              'ahead' in s.remote
                ? { wall: wall + s.remote.ahead, counter: s.remote.counter }
                : s.remote;
            const taken = hlc.observe(remote);
            expect(hlc.last.wall).toBeLessThanOrEqual(wall + maxSkewMs);
            expect(taken).toBe(remote.wall < wall + maxSkewMs);
          } else {
            const next = hlc.now();
            expect(compareTimestamps(next, previous)).toBeGreaterThan(0);
            previous = next;
          }
          expect(compareTimestamps(hlc.last, previous)).toBeGreaterThanOrEqual(0);
          expect(hlc.last.wall).toBeLessThanOrEqual(wall + maxSkewMs);
        }
      }),
    );
  });
});

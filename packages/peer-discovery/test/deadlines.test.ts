import fc from 'fast-check';
import { VirtualClock } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { DeadlineScheduler } from '../src/deadlines.js';

describe('the deadline scheduler', () => {
  it('fires deadlines in due order (ties in scheduling order), each exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 500 }), { maxLength: 40 }), async (delays) => {
        const clock = new VirtualClock(0);
        const scheduler = new DeadlineScheduler(clock);
        const fired: [number, number][] = [];
        delays.forEach((ms, i) => scheduler.setTimeout(() => fired.push([clock.now(), i]), ms));
        await clock.advance(1000);
        const expected = delays
          .map((ms, i) => [ms, i] as [number, number])
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(fired).toEqual(expected);
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps at most one clock timer however many deadlines wait', () => {
    const clock = new VirtualClock(0);
    const scheduler = new DeadlineScheduler(clock);
    for (let i = 0; i < 100; i++) scheduler.setTimeout(() => undefined, 1000 - i);
    expect(clock.pendingTimers).toBe(1);
    expect(scheduler.size).toBe(100);
  });

  it('skips cancelled deadlines and stops after close()', async () => {
    const clock = new VirtualClock(0);
    const scheduler = new DeadlineScheduler(clock);
    const fired: string[] = [];
    const a = scheduler.setTimeout(() => fired.push('a'), 10);
    scheduler.setTimeout(() => fired.push('b'), 20);
    scheduler.setTimeout(() => fired.push('c'), 30);
    a.cancel();
    await clock.advance(25);
    expect(fired).toEqual(['b']);
    scheduler.close();
    scheduler.setTimeout(() => fired.push('d'), 1);
    await clock.advance(100);
    expect(fired).toEqual(['b']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('runs a deadline scheduled from inside a firing one', async () => {
    const clock = new VirtualClock(0);
    const scheduler = new DeadlineScheduler(clock);
    const fired: number[] = [];
    scheduler.setTimeout(() => {
      fired.push(clock.now());
      scheduler.setTimeout(() => fired.push(clock.now()), 5);
    }, 10);
    await clock.advance(100);
    expect(fired).toEqual([10, 15]);
  });
});

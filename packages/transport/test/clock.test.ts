import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  MAX_TIMER_MS,
  VirtualClock,
  delay,
  sample,
  seededRandom,
  systemClock,
  timerDelay,
} from '../src/index.js';

describe('VirtualClock', () => {
  it('fires timers in due order, ties in scheduling order', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push('b'), 20);
    clock.setTimeout(() => fired.push('a'), 10);
    clock.setTimeout(() => fired.push('c'), 20);
    await clock.advance(15);
    expect(fired).toEqual(['a']);
    await clock.advance(5);
    expect(fired).toEqual(['a', 'b', 'c']);
    expect(clock.now()).toBe(20);
  });

  it('repeats intervals until cancelled and never fires a cancelled timer', async () => {
    const clock = new VirtualClock(0);
    let ticks = 0;
    const interval = clock.setInterval(() => ticks++, 10);
    const never = clock.setTimeout(() => {
      throw new Error('cancelled timer fired');
    }, 5);
    never.cancel();
    await clock.advance(35);
    expect(ticks).toBe(3);
    interval.cancel();
    await clock.advance(100);
    expect(ticks).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('delay resolves on virtual time and rejects when aborted', async () => {
    const clock = new VirtualClock(0);
    let done = false;
    const waiting = delay(clock, 50).then(() => (done = true));
    await clock.advance(49);
    expect(done).toBe(false);
    await clock.advance(1);
    await waiting;
    expect(done).toBe(true);

    const controller = new AbortController();
    const aborted = delay(clock, 50, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
  });

  it('runUntil fails when the condition never holds', async () => {
    const clock = new VirtualClock(0);
    await expect(clock.runUntil(() => false, { timeoutMs: 100 })).rejects.toThrow(/not met/);
    expect(clock.now()).toBe(100);
  });
});

describe('seededRandom', () => {
  it('is reproducible from its seed and stays in [0, 1)', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = seededRandom(seed);
        const b = seededRandom(seed);
        for (let i = 0; i < 20; i++) {
          const x = a.next();
          expect(x).toBe(b.next());
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
        }
      }),
    );
  });

  it('sample picks distinct items from the input', () => {
    fc.assert(
      fc.property(fc.integer(), fc.uniqueArray(fc.integer()), fc.nat(20), (seed, items, k) => {
        const picked = sample(seededRandom(seed), items, k);
        expect(picked.length).toBe(Math.min(k, items.length));
        expect(new Set(picked).size).toBe(picked.length);
        for (const p of picked) expect(items).toContain(p);
      }),
    );
  });
});

describe('long timeouts', () => {
  const THIRTY_DAYS = 30 * 86_400_000;

  it('a 30-day systemClock timer does not fire at once (no 32-bit timer overflow)', async () => {
    const order: string[] = [];
    const long = systemClock.setTimeout(() => order.push('30 days'), THIRTY_DAYS);
    // Node turns an overflowing delay into 1 ms, which would fire before this 20 ms timer.
    await new Promise<void>((resolve) =>
      systemClock.setTimeout(() => {
        order.push('20 ms');
        resolve();
      }, 20),
    );
    long.cancel();
    expect(order).toEqual(['20 ms']);
  });

  it('clamps delays to the most a timer can hold, on the virtual clock as on the real one', async () => {
    expect(timerDelay(THIRTY_DAYS)).toBe(MAX_TIMER_MS);
    expect(timerDelay(Number.POSITIVE_INFINITY)).toBe(MAX_TIMER_MS);
    expect(timerDelay(-5)).toBe(0);
    expect(timerDelay(Number.NaN)).toBe(0);
    expect(timerDelay(1500)).toBe(1500);
    const clock = new VirtualClock(0);
    let fired = false;
    clock.setTimeout(() => (fired = true), THIRTY_DAYS);
    await clock.advance(MAX_TIMER_MS - 1);
    expect(fired).toBe(false);
    await clock.advance(1);
    expect(fired).toBe(true);
  });
});

import fc from 'fast-check';
import { VirtualClock } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { remainingSuspicionMs, suspicionBounds } from '../src/index.js';
import { Suspicion } from '../src/suspicion.js';

const bounds = { minMs: 1000, maxMs: 4000, confirmationsWanted: 3 };

describe('the suspicion timeout', () => {
  it('runs from max with no confirmation down to min with enough', () => {
    expect(remainingSuspicionMs(bounds, 0, 0)).toBe(4000);
    expect(remainingSuspicionMs(bounds, 3, 0)).toBe(1000);
    expect(remainingSuspicionMs(bounds, 10, 0)).toBe(1000);
    expect(remainingSuspicionMs(bounds, 1, 0)).toBe(2500); // log 2 / log 4 = 1/2 of the way
    expect(remainingSuspicionMs(bounds, 0, 1500)).toBe(2500);
  });

  it('never grows with more confirmations and stays within [min, max]', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 8 }),
        fc.nat({ max: 20 }),
        (minMs, mult, wanted, confirmations) => {
          const b = { minMs, maxMs: minMs * mult, confirmationsWanted: wanted };
          const now = remainingSuspicionMs(b, confirmations, 0);
          const more = remainingSuspicionMs(b, confirmations + 1, 0);
          expect(more).toBeLessThanOrEqual(now);
          expect(now).toBeGreaterThanOrEqual(minMs);
          expect(now).toBeLessThanOrEqual(b.maxMs);
        },
      ),
    );
  });

  it('scales with log10 of the cluster size, never below one probe period per mult', () => {
    const base = {
      probeIntervalMs: 1000,
      suspicionMult: 2,
      suspicionMaxMult: 3,
      confirmationsWanted: 3,
    };
    expect(suspicionBounds({ ...base, clusterSize: 1 })).toMatchObject({
      minMs: 2000,
      maxMs: 6000,
    });
    expect(suspicionBounds({ ...base, clusterSize: 1000 }).minMs).toBeCloseTo(6000);
  });
});

describe('a running suspicion', () => {
  it('expires after the maximum when nobody confirms it', async () => {
    const clock = new VirtualClock();
    let expired = 0;
    new Suspicion({ clock, bounds, from: 'me', onExpire: () => expired++ });
    await clock.advance(3999);
    expect(expired).toBe(0);
    await clock.advance(1);
    expect(expired).toBe(1);
    await clock.advance(10_000);
    expect(expired).toBe(1);
  });

  it('expires sooner with each independent confirmation; repeats do not count', async () => {
    const clock = new VirtualClock();
    let expired = 0;
    const suspicion = new Suspicion({ clock, bounds, from: 'me', onExpire: () => expired++ });
    await clock.advance(500);
    expect(suspicion.confirm('me')).toBe(false);
    expect(suspicion.confirm('b')).toBe(true);
    expect(suspicion.confirm('b')).toBe(false);
    expect(suspicion.confirm('c')).toBe(true);
    expect(suspicion.confirm('d')).toBe(true);
    expect(suspicion.confirm('e')).toBe(false); // already at the floor
    expect(suspicion.confirmations).toBe(3);
    await clock.advance(499);
    expect(expired).toBe(0);
    await clock.advance(1);
    expect(expired).toBe(1);
  });

  it('fires at once when a confirmation arrives after the new timeout has passed', async () => {
    const clock = new VirtualClock();
    let expired = 0;
    const suspicion = new Suspicion({ clock, bounds, from: 'me', onExpire: () => expired++ });
    await clock.advance(3000);
    suspicion.confirm('b');
    suspicion.confirm('c');
    await clock.advance(0);
    expect(expired).toBe(1);
  });

  it('never fires once cancelled', async () => {
    const clock = new VirtualClock();
    let expired = 0;
    const suspicion = new Suspicion({ clock, bounds, from: 'me', onExpire: () => expired++ });
    suspicion.cancel();
    expect(suspicion.confirm('b')).toBe(false);
    await clock.advance(10_000);
    expect(expired).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

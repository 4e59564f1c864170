import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, isCodedError, type BackoffJitter } from '../src/index.js';

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const ms = fc.integer({ min: 0, max: 3_600_000 });
const jitter = fc.constantFrom<BackoffJitter>('equal', 'full');

describe('capped exponential backoff', () => {
  it('doubles from baseMs and stops at maxMs', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5].map((n) => backoffCeiling(n, policy))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('equal jitter waits between half the ceiling and the ceiling; full jitter from zero', () => {
    const policy = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(2, { ...policy, random: () => 0 })).toBe(200);
    expect(backoffDelay(2, { ...policy, random: () => 0.5 })).toBe(300);
    expect(backoffDelay(2, { ...policy, random: () => 0, jitter: 'full' })).toBe(0);
    expect(backoffDelay(2, { ...policy, random: () => 0.5, jitter: 'full' })).toBe(200);
  });

  it('every delay lies within its jitter band under the cap (property)', () => {
    fc.assert(
      fc.property(fc.nat(5000), ms, ms, unit, jitter, (attempt, baseMs, maxMs, r, mode) => {
        const ceiling = backoffCeiling(attempt, { baseMs, maxMs });
        const delay = backoffDelay(attempt, { baseMs, maxMs, random: () => r, jitter: mode });
        expect(Number.isFinite(delay)).toBe(true);
        expect(ceiling).toBeLessThanOrEqual(maxMs);
        if (baseMs > 0) expect(ceiling).toBeLessThanOrEqual(baseMs * 2 ** attempt);
        else expect(ceiling).toBe(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
        expect(delay).toBeGreaterThanOrEqual(mode === 'full' ? 0 : ceiling / 2);
      }),
    );
  });

  it('ceilings never shrink as attempts grow (property)', () => {
    fc.assert(
      fc.property(fc.nat(2000), fc.nat(2000), ms, ms, (a, b, baseMs, maxMs) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        expect(backoffCeiling(low, { baseMs, maxMs })).toBeLessThanOrEqual(
          backoffCeiling(high, { baseMs, maxMs }),
        );
      }),
    );
  });

  it('reaches exactly maxMs once baseMs * 2^attempt passes it, even when 2^attempt overflows', () => {
    expect(backoffCeiling(40, { baseMs: 1, maxMs: 30_000 })).toBe(30_000);
    expect(backoffCeiling(100_000, { baseMs: 500, maxMs: 30_000 })).toBe(30_000);
    expect(backoffCeiling(100_000, { baseMs: 0, maxMs: 30_000 })).toBe(0);
  });

  it('is deterministic for a given random source', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const first = [0, 1, 2, 3].map((n) => backoffDelay(n, { baseMs: 50, maxMs: 500, random }));
    seed = 7;
    const second = [0, 1, 2, 3].map((n) => backoffDelay(n, { baseMs: 50, maxMs: 500, random }));
    expect(second).toEqual(first);
  });

  it('rejects a negative or fractional attempt and a negative or infinite bound', () => {
    const random = () => 0.5;
    for (const [attempt, baseMs, maxMs] of [
      [-1, 100, 1000],
      [1.5, 100, 1000],
      [0, -1, 1000],
      [0, 100, Number.NaN],
      [0, 100, Number.POSITIVE_INFINITY],
    ] as const) {
      let caught: unknown;
      try {
        backoffDelay(attempt, { baseMs, maxMs, random });
      } catch (error) {
        caught = error;
      }
      expect(isCodedError(caught, 'ERR_INVALID_ARGUMENT')).toBe(true);
    }
  });
});

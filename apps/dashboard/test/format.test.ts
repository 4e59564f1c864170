import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  rateBetween,
  shortId,
} from '../src/format.js';

describe('formatBytes', () => {
  it('writes bytes in binary units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.00 KiB');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(15 * 1024 ** 2)).toBe('15.0 MiB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250 GiB');
    expect(formatBytes(2 ** 60)).toBe('1024 PiB');
  });

  it('answers a dash for what is not a size', () => {
    expect(formatBytes(-1)).toBe('–');
    expect(formatBytes(Number.NaN)).toBe('–');
  });

  it('never writes more than four digits before the unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => {
        const number = formatBytes(n).split(' ')[0]!;
        expect(number.replace('.', '').length).toBeLessThanOrEqual(4);
      }),
    );
  });
});

describe('durations and ages', () => {
  it('uses the largest unit that keeps them short', () => {
    expect(formatDuration(999)).toBe('0 s');
    expect(formatDuration(59_999)).toBe('59 s');
    expect(formatDuration(60_000)).toBe('1 min');
    expect(formatDuration(3 * 3_600_000)).toBe('3 h');
    expect(formatDuration(72 * 3_600_000)).toBe('3 d');
  });

  it('says how long ago, and never for a member not yet heard from', () => {
    expect(formatAge(10_000, 10_500)).toBe('just now');
    expect(formatAge(10_000, 22_000)).toBe('12 s ago');
    expect(formatAge(0, 22_000)).toBe('never');
  });
});

describe('rates and counts', () => {
  it('a counter rate is per second, and 0 across a restart', () => {
    expect(rateBetween({ at: 0, value: 0 }, { at: 2000, value: 4096 })).toBe(2048);
    expect(rateBetween({ at: 0, value: 9000 }, { at: 2000, value: 10 })).toBe(0);
    expect(rateBetween({ at: 1000, value: 0 }, { at: 1000, value: 10 })).toBe(0);
    expect(formatRate(2048)).toBe('2.00 KiB/s');
  });

  it('counts get separators, ids get shortened', () => {
    expect(formatCount(100_000)).toBe('100,000');
    expect(shortId('abcdefghijklmnop')).toBe('abcdefghij…');
    expect(shortId('short')).toBe('short');
  });
});

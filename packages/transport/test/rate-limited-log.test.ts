import { describe, expect, it } from 'vitest';
import { RateLimitedLog, VirtualClock } from '../src/index.js';

function recordingSink() {
  const lines: { fields: Record<string, unknown>; message: string | undefined }[] = [];
  return {
    lines,
    warn: (fields: object, message?: string) =>
      void lines.push({ fields: fields as Record<string, unknown>, message }),
  };
}

describe('rate-limited warnings', () => {
  it('logs the first of a reason at once, then one summary with the count per interval', async () => {
    const clock = new VirtualClock(0);
    const sink = recordingSink();
    const log = new RateLimitedLog(sink, clock, { intervalMs: 1_000 });
    for (let i = 0; i < 10_000; i++) log.warn('ERR_X', { code: 'ERR_X', i }, 'refused');
    expect(sink.lines).toHaveLength(1);
    expect(sink.lines[0]?.fields).toEqual({ code: 'ERR_X', i: 0 });
    await clock.advance(1_000);
    expect(sink.lines).toHaveLength(2);
    expect(sink.lines[1]?.fields).toEqual({ code: 'ERR_X', i: 9_999, suppressed: 9_999 });
    expect(sink.lines[1]?.message).toMatch(/9999 more like this/);
    // A quiet window ends without a line; the next occurrence is logged at once again.
    log.warn('ERR_X', { code: 'ERR_X' }, 'refused');
    await clock.advance(1_000);
    expect(sink.lines).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps reasons apart, and past maxReasons puts new ones in one "other" bucket', () => {
    const clock = new VirtualClock(0);
    const sink = recordingSink();
    const log = new RateLimitedLog(sink, clock, { maxReasons: 3 });
    for (let i = 0; i < 100; i++) log.warn(`reason-${i}`, {}, 'refused');
    // Three reasons of their own, then one line for all the rest.
    expect(sink.lines).toHaveLength(4);
    log.close();
    expect(sink.lines).toHaveLength(5);
    expect(sink.lines[4]?.fields).toEqual({ suppressed: 96 });
    expect(clock.pendingTimers).toBe(0);
  });
});

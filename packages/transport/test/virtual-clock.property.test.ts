import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock, type Timer } from '../src/index.js';

type Op =
  | { kind: 'timeout'; ms: number }
  | { kind: 'interval'; ms: number }
  | { kind: 'cancel'; index: number }
  | { kind: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('timeout' as const), ms: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ kind: fc.constant('interval' as const), ms: fc.integer({ min: 1, max: 30 }) }),
  fc.record({ kind: fc.constant('cancel' as const), index: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 60 }) }),
);

/** The obvious implementation: scan every live timer for the earliest (due, id). */
class ModelClock {
  now = 0;
  timers: { id: number; due: number; period?: number; live: boolean }[] = [];
  fired: [number, number][] = [];
  schedule(ms: number, period?: number): number {
    const id = this.timers.length;
    this.timers.push({ id, due: this.now + ms, period, live: true });
    return id;
  }
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const live = this.timers.filter((t) => t.live && t.due <= target);
      if (live.length === 0) break;
      live.sort((a, b) => a.due - b.due || a.id - b.id);
      const t = live[0]!;
      this.now = Math.max(this.now, t.due);
      this.fired.push([t.id, this.now]);
      if (t.period === undefined) t.live = false;
      else t.due += t.period;
    }
    this.now = target;
  }
}

describe('VirtualClock (heap) against a linear-scan model', () => {
  it('fires the same timers at the same virtual times for any schedule/cancel/advance sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), async (ops) => {
        const clock = new VirtualClock(0);
        const model = new ModelClock();
        const handles: Timer[] = [];
        const fired: [number, number][] = [];
        for (const op of ops) {
          if (op.kind === 'timeout' || op.kind === 'interval') {
            const id = model.schedule(
              op.ms,
              op.kind === 'interval' ? Math.max(1, op.ms) : undefined,
            );
            const callback = (): void => void fired.push([id, clock.now()]);
            handles.push(
              op.kind === 'timeout'
                ? clock.setTimeout(callback, op.ms)
                : clock.setInterval(callback, op.ms),
            );
          } else if (op.kind === 'cancel') {
            if (handles.length === 0) continue;
            const index = op.index % handles.length;
            handles[index]!.cancel();
            model.timers[index]!.live = false;
          } else {
            await clock.advance(op.ms);
            model.advance(op.ms);
          }
        }
        expect(fired).toEqual(model.fired);
        expect(clock.pendingTimers).toBe(model.timers.filter((t) => t.live).length);
      }),
      { numRuns: 150 },
    );
  });
});

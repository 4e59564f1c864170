/**
 * The stop sequence on a virtual clock: steps run in their order, and each deadline is the one the
 * injected tunables give (not a module constant), so a hung part is abandoned on time and the parts
 * after it still close.
 */
import http from 'node:http';
import { pino } from 'pino';
import { VirtualClock } from '@dfs/transport';
import { expect, it } from 'vitest';
import { resolveTunables } from '../src/config.js';
import { stopParts, type StoppableParts } from '../src/shutdown.js';

const silent = pino({ level: 'silent' });
const never = (): Promise<never> => new Promise<never>(() => undefined);

function recordingParts(closed: string[], hang: { leave?: true; transport?: true } = {}) {
  const record = (name: string) => async () => {
    closed.push(name);
  };
  const parts: StoppableParts = {
    listeners: [{ close: record('listener') }],
    httpServer: http.createServer(),
    members: {
      leave: () => (hang.leave ? never() : record('leave')()),
      stop: record('membership'),
    },
    files: { stop: record('replication') },
    transport: { close: () => (hang.transport ? never() : record('transport')()) },
    store: { close: record('store') },
    unlock: record('data-lock'),
  };
  return parts;
}

it('closes every part in order and reports no overrun on the normal path', async () => {
  const clock = new VirtualClock();
  const closed: string[] = [];
  const report = await stopParts(recordingParts(closed), resolveTunables(), clock, silent);
  // The middle three run in parallel, so only the group is ordered, not its members.
  expect(closed[0]).toBe('listener');
  expect(new Set(closed.slice(1, 4))).toEqual(new Set(['leave', 'membership', 'replication']));
  expect(closed.slice(4)).toEqual(['transport', 'store', 'data-lock']);
  expect(report).toEqual({ ms: 0, overran: [] });
  expect(clock.pendingTimers).toBe(0);
});

it('a hung transport is abandoned at the injected step deadline and the store and lock still close', async () => {
  const clock = new VirtualClock();
  const closed: string[] = [];
  const tunables = resolveTunables({ shutdown: { stepDeadlineMs: 100 } });
  let report: Awaited<ReturnType<typeof stopParts>> | undefined;
  const stopping = stopParts(
    recordingParts(closed, { transport: true }),
    tunables,
    clock,
    silent,
  ).then((r) => (report = r));
  await clock.advance(99);
  expect(report).toBeUndefined();
  expect(closed).not.toContain('store');
  await clock.advance(1);
  await stopping;
  expect(report).toEqual({ ms: 100, overran: ['transport'] });
  expect(closed.slice(-2)).toEqual(['store', 'data-lock']);
});

it('the leave step is bounded by leaveAckTimeoutMs plus leaveStepGraceMs', async () => {
  const clock = new VirtualClock();
  const closed: string[] = [];
  const tunables = resolveTunables({
    membership: { leaveAckTimeoutMs: 200 },
    shutdown: { leaveStepGraceMs: 50, stepDeadlineMs: 1_000 },
  });
  let report: Awaited<ReturnType<typeof stopParts>> | undefined;
  const stopping = stopParts(recordingParts(closed, { leave: true }), tunables, clock, silent).then(
    (r) => (report = r),
  );
  await clock.advance(249);
  expect(closed).not.toContain('transport');
  await clock.advance(1);
  await stopping;
  expect(report).toEqual({ ms: 250, overran: ['leave'] });
  expect(closed).toContain('transport');
});

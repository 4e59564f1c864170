/**
 * ShutdownSteps on a virtual clock: a step that settles is reported done, a failing one does not
 * stop the sequence, and a hung one is abandoned at its deadline and named in the report.
 */
import { pino } from 'pino';
import { VirtualClock } from '@dfs/transport';
import { expect, it } from 'vitest';
import { ShutdownSteps } from '../src/shutdown.js';

const silent = pino({ level: 'silent' });

it('runs steps to completion and reports no overrun on the normal path', async () => {
  const clock = new VirtualClock();
  const steps = new ShutdownSteps(clock, silent);
  const ran: string[] = [];
  await steps.run('first', 1_000, () => void ran.push('first'));
  await steps.run('second', 1_000, async () => {
    await Promise.resolve();
    ran.push('second');
  });
  expect(ran).toEqual(['first', 'second']);
  expect(steps.report()).toEqual({ ms: 0, overran: [] });
  expect(clock.pendingTimers).toBe(0);
});

it('a failing step is logged and the next one still runs', async () => {
  const clock = new VirtualClock();
  const steps = new ShutdownSteps(clock, silent);
  await steps.run('broken', 1_000, () => Promise.reject(new Error('boom')));
  let after = false;
  await steps.run('after', 1_000, () => {
    after = true;
  });
  expect(after).toBe(true);
  expect(steps.report().overran).toEqual([]);
});

it('a hung step is abandoned at its deadline and named in the report', async () => {
  const clock = new VirtualClock();
  const steps = new ShutdownSteps(clock, silent);
  let settled = false;
  const running = steps
    .run('hangs', 750, () => new Promise<never>(() => undefined))
    .then(() => (settled = true));
  await clock.advance(749);
  expect(settled).toBe(false);
  await clock.advance(1);
  await running;
  expect(settled).toBe(true);
  expect(steps.report()).toEqual({ ms: 750, overran: ['hangs'] });
});

/**
 * The start-up warnings on their own: one warning while no seed has answered (and one line once a
 * seed does), none when the join is quick or there are no seeds; the unroutable-address warning.
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { VirtualClock } from '@dfs/transport';
import { warnIfUnroutable, warnWhileAlone } from '../src/startup.js';

function recorder(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = {
    warn: (_fields: unknown, message: string) => lines.push(message),
  } as unknown as Logger;
  return { logger, lines };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the no-seed warning', () => {
  it('warns once after the delay, then says so when a seed answers', async () => {
    const clock = new VirtualClock();
    const { logger, lines } = recorder();
    const join = deferred();
    warnWhileAlone({
      seeds: ['10.0.0.1:4001'],
      joined: join.promise,
      warnAfterMs: 5_000,
      clock,
      logger,
    });
    await clock.advance(4_999);
    expect(lines).toEqual([]);
    await clock.advance(1);
    expect(lines).toEqual([
      'no seed answered within 5 s (10.0.0.1:4001); running alone and still trying to join',
    ]);
    await clock.advance(60_000);
    join.resolve();
    await join.promise;
    await Promise.resolve();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('a seed answered: joined the cluster');
  });

  it('says nothing when the join is quick, when cancelled, or without seeds', async () => {
    const clock = new VirtualClock();
    const { logger, lines } = recorder();
    const quick = deferred();
    warnWhileAlone({ seeds: ['a:1'], joined: quick.promise, warnAfterMs: 5_000, clock, logger });
    quick.resolve();
    await quick.promise;
    const cancel = warnWhileAlone({
      seeds: ['a:1'],
      joined: deferred().promise,
      warnAfterMs: 5_000,
      clock,
      logger,
    });
    cancel();
    warnWhileAlone({ seeds: [], joined: deferred().promise, warnAfterMs: 5_000, clock, logger });
    await clock.advance(60_000);
    expect(lines).toEqual([]);
  });
});

describe('the unroutable-address warning', () => {
  it.each([
    ['0.0.0.0:4001', true],
    ['[::]:4001', true],
    ['10.0.0.5:4001', false],
    ['127.0.0.1:4001', false],
  ])('advertising %s warns: %s', (address, warns) => {
    const { logger, lines } = recorder();
    warnIfUnroutable({ advertise: undefined }, address, logger);
    expect(lines.length === 1).toBe(warns);
    if (warns) expect(lines[0]).toContain('--advertise');
  });

  it('trusts an explicit --advertise', () => {
    const { logger, lines } = recorder();
    warnIfUnroutable({ advertise: '0.0.0.0:4001' }, '0.0.0.0:4001', logger);
    expect(lines).toEqual([]);
  });
});

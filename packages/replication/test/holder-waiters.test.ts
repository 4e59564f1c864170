import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@dfs/transport';
import { HolderWaiters } from '../src/holder-waiters.js';
import { nextScrubBatch } from '../src/scrub-order.js';

describe('HolderWaiters', () => {
  const setup = (): {
    clock: VirtualClock;
    state: Map<string, { version: string; holders: number }>;
    waiters: HolderWaiters;
  } => {
    const clock = new VirtualClock();
    const state = new Map<string, { version: string; holders: number }>();
    return { clock, state, waiters: new HolderWaiters(clock, (name) => state.get(name)) };
  };

  it('resolves true at once when enough nodes already hold the version', async () => {
    const { state, waiters } = setup();
    state.set('f', { version: 'v2', holders: 3 });
    expect(await waiters.wait('f', 'v2', 3, { timeoutMs: 10 })).toBe(true);
    expect(waiters.size).toBe(0);
  });

  it('resolves true when holders arrive, false on timeout', async () => {
    const { clock, state, waiters } = setup();
    state.set('f', { version: 'v2', holders: 1 });
    const enough = waiters.wait('f', 'v2', 2, { timeoutMs: 1_000 });
    const tooMany = waiters.wait('f', 'v2', 5, { timeoutMs: 1_000 });
    state.set('f', { version: 'v2', holders: 2 });
    waiters.check('f');
    expect(await enough).toBe(true);
    await clock.advance(1_000);
    expect(await tooMany).toBe(false);
    expect(waiters.size).toBe(0);
  });

  it('resolves false when a newer version supersedes the awaited one, on abort and on cancelAll', async () => {
    const { state, waiters } = setup();
    state.set('f', { version: 'v2', holders: 1 });
    const superseded = waiters.wait('f', 'v2', 2, { timeoutMs: 1_000 });
    state.set('f', { version: 'v3', holders: 1 });
    waiters.check();
    expect(await superseded).toBe(false);
    expect(await waiters.wait('f', 'v1', 1, { timeoutMs: 1_000 })).toBe(false);

    const controller = new AbortController();
    const aborted = waiters.wait('f', 'v3', 9, { timeoutMs: 1_000, signal: controller.signal });
    controller.abort();
    expect(await aborted).toBe(false);
    const cancelled = waiters.wait('g', 'v1', 1, { timeoutMs: 1_000 });
    waiters.cancelAll();
    expect(await cancelled).toBe(false);
  });
});

describe('nextScrubBatch', () => {
  it('walks the names in batches and wraps around', () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const first = nextScrubBatch(names, undefined, 2);
    expect(first.names).toEqual(['a', 'b']);
    const second = nextScrubBatch(names, first.cursor, 2);
    expect(second.names).toEqual(['c', 'd']);
    const third = nextScrubBatch(names, second.cursor, 2);
    expect(third.names).toEqual(['e']);
    expect(nextScrubBatch(names, third.cursor, 2).names).toEqual(['a', 'b']);
    expect(nextScrubBatch([], 'x', 2)).toEqual({ names: [], cursor: undefined });
    // A cursor name that vanished still continues after its position.
    expect(nextScrubBatch(['a', 'c', 'e'], 'b', 2).names).toEqual(['c', 'e']);
  });
});

/**
 * The small bounded structures behind the receive-side rules: the per-peer token buckets, the
 * rate-limited warnings, and the cap on what one anti-entropy response can make us parse.
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '@dfs/transport';
import { encodeVersion } from '../src/hlc.js';
import { IndexReconciler, encodeEntry } from '../src/index-reconciler.js';
import type { ReplicatedEntry } from '../src/merge.js';
import { PeerWarnings } from '../src/peer-warnings.js';
import { PeerTokenBuckets } from '../src/token-bucket.js';

const peer = { id: 'evil', address: 'mem-evil' };
/** The documented bounds (index-reconciler.ts). */
const MAX_SYNC_ENTRIES = 16_384;
const MAX_SYNC_VALUE_BYTES = 256 * 1024;

describe('per-peer token buckets', () => {
  it('grant a burst, then the rate, per peer, and never more than the capacity', () => {
    const buckets = new PeerTokenBuckets({ ratePerSecond: 10, capacity: 50 });
    expect(buckets.take('a', 80, 0)).toBe(50);
    expect(buckets.take('a', 1, 0)).toBe(0);
    expect(buckets.take('b', 20, 0)).toBe(20); // another peer has its own bucket
    expect(buckets.take('a', 100, 1_000)).toBe(10);
    expect(buckets.take('a', 100, 1_000_000)).toBe(50); // refills to the capacity, no further
  });

  it('remember a bounded number of peers, forgetting the least recently used', () => {
    const buckets = new PeerTokenBuckets({ ratePerSecond: 1, capacity: 5, maxPeers: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) buckets.take(id, 5, 0);
    expect(buckets.size).toBe(3);
  });
});

describe('rate-limited peer warnings', () => {
  it('log once per peer and kind per interval and report what was held back', async () => {
    const clock = new VirtualClock(0);
    const lines: object[] = [];
    const warnings = new PeerWarnings({
      clock,
      intervalMs: 60_000,
      warn: (object) => lines.push(object),
    });
    for (let i = 0; i < 1_000; i++) warnings.warn('evil', 'future-version', {}, 'refused');
    warnings.warn('other', 'future-version', {}, 'refused');
    warnings.warn('evil', 'quota', {}, 'throttled');
    expect(lines).toEqual([
      { peer: 'evil', suppressed: 0 },
      { peer: 'other', suppressed: 0 },
      { peer: 'evil', suppressed: 0 },
    ]);
    await clock.advance(60_000);
    warnings.warn('evil', 'future-version', {}, 'refused');
    expect(lines.at(-1)).toEqual({ peer: 'evil', suppressed: 999 });
  });
});

describe('anti-entropy input bounds', () => {
  const entry = (i: number): ReplicatedEntry => ({
    name: `n-${i}`,
    version: encodeVersion({ wall: 1, counter: i }, 'evil'),
    size: 0,
    sha256: '',
    deleted: true,
    expiresAt: 0,
    holders: [],
  });

  it('one response applies at most MAX_SYNC_ENTRIES entries; the excess counts as invalid', async () => {
    const applied: ReplicatedEntry[] = [];
    let invalid = 0;
    const reconciler = new IndexReconciler({
      wireEntry: () => undefined,
      apply: async (entries) => {
        applied.push(...entries);
      },
      invalid: () => {
        invalid++;
      },
    });
    const flood = Array.from({ length: MAX_SYNC_ENTRIES + 5_000 }, (_, i) => ({
      key: `n-${i}`,
      value: encodeEntry(entry(i)),
    }));
    await reconciler.apply(flood, peer);
    expect(applied).toHaveLength(MAX_SYNC_ENTRIES);
    expect(invalid).toBe(1);
  });

  it('an oversized entry value is refused before it is parsed', async () => {
    const applied: ReplicatedEntry[] = [];
    let invalid = 0;
    const reconciler = new IndexReconciler({
      wireEntry: () => undefined,
      apply: async (entries) => {
        applied.push(...entries);
      },
      invalid: () => {
        invalid++;
      },
    });
    // Valid JSON for a valid entry, padded with whitespace past the bound.
    const padded = Buffer.concat([encodeEntry(entry(1)), Buffer.alloc(MAX_SYNC_VALUE_BYTES, 0x20)]);
    await reconciler.apply([{ key: 'n-1', value: padded }], peer);
    expect(applied).toEqual([]);
    expect(invalid).toBe(1);
  });
});

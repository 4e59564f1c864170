import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideClaim,
  decideEntry,
  decideForgetCopy,
  decidePullStart,
  decidePulled,
  decidePush,
  effectsAfterWrite,
  tombstoneExpired,
} from '../src/decide.js';
import type { Effect } from '../src/decide.js';
import type { IndexEntry } from '../src/file-index.js';
import { compareVersions, encodeVersion } from '../src/hlc.js';
import { entriesEqual, mergeEntries } from '../src/merge.js';
import type { ReplicatedEntry } from '../src/merge.js';

const holders = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { maxLength: 5 })
  .map((h) => h.sort());

const version = fc
  .record({
    wall: fc.integer({ min: 1, max: 3 }),
    counter: fc.integer({ min: 0, max: 1 }),
    node: fc.constantFrom('a', 'b'),
  })
  .map((v) => ({ ...v, encoded: encodeVersion({ wall: v.wall, counter: v.counter }, v.node) }));

/**
 * Honest entries: one version is one write, so its content (tombstone or not, sha256, size) is a
 * function of the version; only the holder set differs between copies. Tombstones expire at 1000+.
 */
const honestEntry: fc.Arbitrary<ReplicatedEntry> = fc
  .record({ version, holders })
  .map(({ version: v, holders: h }) => {
    const deleted = (v.wall + v.counter) % 3 === 0;
    return {
      name: 'f',
      version: v.encoded,
      size: deleted ? 0 : v.wall,
      sha256: deleted ? '' : `sha-${v.encoded}`,
      deleted,
      expiresAt: deleted ? 1000 + v.wall : 0,
      holders: deleted ? [] : h,
    };
  });

/** Any entry, dishonest ones included (one version, different contents). */
const anyEntry: fc.Arbitrary<ReplicatedEntry> = fc
  .record({
    version,
    deleted: fc.boolean(),
    sha: fc.constantFrom('aa', 'bb'),
    size: fc.integer({ min: 0, max: 2 }),
    expiresAt: fc.integer({ min: 0, max: 10 }),
    holders,
  })
  .map((r) => ({
    name: 'f',
    version: r.version.encoded,
    size: r.deleted ? 0 : r.size,
    sha256: r.deleted ? '' : r.sha,
    deleted: r.deleted,
    expiresAt: r.deleted ? r.expiresAt : 0,
    holders: r.deleted ? [] : r.holders,
  }));

const indexEntry: fc.Arbitrary<IndexEntry> = fc
  .record({ entry: anyEntry, local: fc.boolean() })
  .map(({ entry, local }) => ({ ...entry, local: local && !entry.deleted }));

function writes(effects: readonly Effect[]): IndexEntry[] {
  return effects.flatMap((e) => (e.kind === 'write' ? [e.entry] : []));
}

/** Delivers `entries` one by one through `decideEntry`, as the engine does; the final state. */
function deliver(entries: readonly ReplicatedEntry[], now: number): IndexEntry | undefined {
  let state: IndexEntry | undefined;
  for (const incoming of entries) {
    const decision = decideEntry(state, incoming, now);
    if (decision.kind !== 'ignore') state = decision.effects[0].entry;
  }
  return state;
}

describe('decideEntry (announcements, anti-entropy, lookup answers)', () => {
  it('ends in the same state whatever the delivery order, the merge of everything delivered', () => {
    fc.assert(
      fc.property(
        fc
          .array(honestEntry, { minLength: 1, maxLength: 8 })
          .chain((entries) =>
            fc.tuple(
              fc.constant(entries),
              fc.shuffledSubarray(entries, { minLength: entries.length }),
            ),
          ),
        ([entries, shuffled]) => {
          const forward = deliver(entries, 0);
          const other = deliver(shuffled, 0);
          expect(forward).toBeDefined();
          expect(other).toBeDefined();
          expect(entriesEqual(forward!, other!)).toBe(true);
          expect(entriesEqual(forward!, entries.reduce(mergeEntries))).toBe(true);
          expect(forward!.local).toBe(false);
        },
      ),
    );
  });

  it('never adopts an older version, never loses holders, and keeps `local` for the same version', () => {
    fc.assert(
      fc.property(
        indexEntry,
        anyEntry,
        fc.integer({ min: 0, max: 20 }),
        (current, incoming, now) => {
          const decision = decideEntry(current, incoming, now);
          if (decision.kind === 'ignore') {
            expect(['stale', 'conflicting-content']).toContain(decision.reason);
            return;
          }
          const written = decision.effects[0].entry;
          const order = compareVersions(written.version, current.version);
          expect(order).toBeGreaterThanOrEqual(0);
          if (order === 0) {
            expect(decision.kind).toBe('adopt-holders');
            expect(written.local).toBe(current.local);
            // Only holders can change under one version: the content is ours, holders only grow.
            expect(written.deleted).toBe(current.deleted);
            expect(written.sha256).toBe(current.sha256);
            expect(written.size).toBe(current.size);
            for (const h of current.holders) expect(written.holders).toContain(h);
          } else {
            expect(decision.kind).toBe('adopt');
            expect(written.local).toBe(false);
          }
        },
      ),
    );
  });

  it('refuses different content under a version it holds (a forged tombstone or body), keeping its copy', () => {
    const ours: IndexEntry = {
      name: 'f',
      version: '000000000001.00000000.node-a',
      size: 5,
      sha256: 'aa',
      deleted: false,
      expiresAt: 0,
      holders: [],
      local: true,
    };
    const forgedTombstone = {
      ...ours,
      size: 0,
      sha256: '',
      deleted: true,
      expiresAt: 9,
      holders: [],
    };
    expect(decideEntry(ours, forgedTombstone, 0)).toEqual({
      kind: 'ignore',
      reason: 'conflicting-content',
    });
    const otherBytes = { ...ours, sha256: 'bb', holders: ['node-b', 'node-c'] };
    expect(decideEntry(ours, otherBytes, 0)).toEqual({
      kind: 'ignore',
      reason: 'conflicting-content',
    });
  });

  it('ignores an expired tombstone for a name it does not know, and adopts an unexpired one', () => {
    fc.assert(
      fc.property(anyEntry, fc.integer({ min: 0, max: 20 }), (incoming, now) => {
        const decision = decideEntry(undefined, incoming, now);
        if (incoming.deleted && incoming.expiresAt <= now) {
          expect(decision).toEqual({ kind: 'ignore', reason: 'expired-tombstone' });
        } else {
          expect(decision.kind).toBe('adopt');
        }
      }),
    );
  });

  it('still adopts an expired tombstone over a known older entry (the name must go)', () => {
    const live: IndexEntry = {
      name: 'f',
      version: encodeVersion({ wall: 1, counter: 0 }, 'a'),
      size: 1,
      sha256: 'aa',
      deleted: false,
      expiresAt: 0,
      holders: [],
      local: true,
    };
    const tombstone: ReplicatedEntry = {
      ...live,
      version: encodeVersion({ wall: 2, counter: 0 }, 'a'),
      size: 0,
      sha256: '',
      deleted: true,
      expiresAt: 5,
    };
    const decision = decideEntry(live, tombstone, 100);
    expect(decision.kind).toBe('adopt');
  });
});

describe('effectsAfterWrite', () => {
  it('deletes only the bytes of a replaced local version, and pulls only a live body not held', () => {
    fc.assert(
      fc.property(
        fc.option(indexEntry, { nil: undefined }),
        indexEntry,
        fc.boolean(),
        fc.boolean(),
        (previous, written, announce, pull) => {
          const effects = effectsAfterWrite(previous, {
            kind: 'write',
            entry: written,
            announce,
            pull,
            bytesStored: false,
          });
          const replaced = previous !== undefined && previous.version !== written.version;
          const deletes = effects.filter((e) => e.kind === 'delete-bytes');
          expect(deletes).toEqual(
            replaced && previous.local
              ? [{ kind: 'delete-bytes', name: previous.name, version: previous.version }]
              : [],
          );
          const pulls = effects.filter((e) => e.kind === 'pull');
          expect(pulls.length).toBe(pull && !written.deleted && !written.local ? 1 : 0);
          expect(effects.some((e) => e.kind === 'announce')).toBe(announce);
          expect(effects.some((e) => e.kind === 'wake-waiters')).toBe(true);
          // A replaced version's transfer is aborted before its bytes are deleted.
          const cancel = effects.findIndex((e) => e.kind === 'cancel-transfer');
          expect(cancel >= 0).toBe(replaced);
          if (deletes.length > 0) expect(cancel).toBeLessThan(effects.indexOf(deletes[0]!));
        },
      ),
    );
  });
});

describe('decideClaim (stored bytes: pushed, or found before a pull)', () => {
  it('never claims bytes whose version, sha256 or size differ from the current entry', () => {
    fc.assert(
      fc.property(
        fc.option(indexEntry, { nil: undefined }),
        version,
        fc.record({ size: fc.integer({ min: 0, max: 2 }), sha256: fc.constantFrom('aa', 'bb') }),
        fc.option(fc.constantFrom('a', 'b', 'x'), { nil: undefined }),
        (latest, v, stored, from) => {
          const decision = decideClaim(latest, v.encoded, stored, from);
          for (const written of writes('effects' in decision ? decision.effects : [])) {
            expect(written.local).toBe(true);
            expect(written.version).toBe(v.encoded);
            expect(written.deleted).toBe(false);
            expect(written.sha256).toBe(stored.sha256);
            expect(written.size).toBe(stored.size);
            if (from !== undefined) expect(written.holders).toContain(from);
          }
          if (latest === undefined || compareVersions(latest.version, v.encoded) < 0) {
            expect(decision.kind).toBe('not-yet');
          }
          if (decision.kind === 'mismatch') {
            expect(decision.effects).toEqual([
              { kind: 'delete-bytes', name: 'f', version: v.encoded },
            ]);
          }
        },
      ),
    );
  });

  it('claims matching bytes of the current version, and keeps the write accountable for them', () => {
    const latest: IndexEntry = {
      name: 'f',
      version: encodeVersion({ wall: 1, counter: 0 }, 'a'),
      size: 2,
      sha256: 'aa',
      deleted: false,
      expiresAt: 0,
      holders: ['b'],
      local: false,
    };
    const decision = decideClaim(latest, latest.version, { size: 2, sha256: 'aa' }, 'a');
    expect(decision.kind).toBe('claim');
    expect(decision.claimed && 'effects' in decision ? decision.effects : []).toEqual([
      {
        kind: 'write',
        entry: { ...latest, local: true, holders: ['a', 'b'] },
        announce: true,
        pull: true,
        bytesStored: true,
      },
    ]);
    expect(decideClaim({ ...latest, local: true }, latest.version, latest, 'a').kind).toBe(
      'already-local',
    );
  });
});

describe('decidePush', () => {
  it('refuses a version older than the current one, one held here, or one already moving', () => {
    fc.assert(
      fc.property(
        fc.option(indexEntry, { nil: undefined }),
        version,
        fc.boolean(),
        fc.boolean(),
        (current, v, running, transferUnderWay) => {
          const decision = decidePush(current, v.encoded, { running, transferUnderWay });
          const older = current !== undefined && compareVersions(current.version, v.encoded) > 0;
          const held = current?.version === v.encoded && current.local;
          expect(decision).toBe(
            !running || transferUnderWay || older || held ? 'refuse' : 'accept',
          );
        },
      ),
    );
  });
});

describe('pull start and completion', () => {
  it('records pulled bytes only for the current version while running; otherwise deletes them', () => {
    fc.assert(
      fc.property(
        fc.option(indexEntry, { nil: undefined }),
        version,
        fc.constantFrom('a', 'b', 'c'),
        fc.boolean(),
        (latest, v, from, running) => {
          const decision = decidePulled(latest, 'f', v.encoded, from, running);
          if (running && latest?.version === v.encoded) {
            expect(decision.kind).toBe('record');
            const [written] = writes(decision.effects);
            expect(written).toMatchObject({ version: v.encoded, local: true });
            expect(written!.holders).toContain(from);
            expect(written!.sha256).toBe(latest.sha256);
          } else {
            expect(decision).toEqual({
              kind: 'superseded',
              effects: [{ kind: 'delete-bytes', name: 'f', version: v.encoded }],
            });
          }
        },
      ),
    );
  });

  it('a queued pull does nothing once its version is held, replaced, or too large', () => {
    const entry: IndexEntry = {
      name: 'f',
      version: encodeVersion({ wall: 1, counter: 0 }, 'a'),
      size: 10,
      sha256: 'aa',
      deleted: false,
      expiresAt: 0,
      holders: ['a'],
      local: false,
    };
    expect(decidePullStart(entry, entry.version, 10)).toBe('pull');
    expect(decidePullStart({ ...entry, local: true }, entry.version, 10)).toBe('held');
    expect(decidePullStart(entry, encodeVersion({ wall: 2, counter: 0 }, 'a'), 10)).toBe(
      'not-current',
    );
    expect(decidePullStart(undefined, entry.version, 10)).toBe('not-current');
    expect(decidePullStart(entry, entry.version, 9)).toBe('too-large');
  });
});

describe('decideForgetCopy (a corrupt or missing local copy)', () => {
  it('forgets (unannounced, no pull yet) and then deletes only a held copy of that version', () => {
    fc.assert(
      fc.property(fc.option(indexEntry, { nil: undefined }), version, (current, v) => {
        const decision = decideForgetCopy(current, v.encoded);
        if (current === undefined || current.version !== v.encoded || !current.local) {
          expect(decision.kind).toBe('ignore');
          return;
        }
        expect(decision).toEqual({
          kind: 'forget',
          effects: [
            {
              kind: 'write',
              entry: { ...current, local: false },
              announce: false,
              pull: false,
              bytesStored: false,
            },
            { kind: 'delete-bytes', name: current.name, version: v.encoded },
          ],
        });
      }),
    );
  });
});

describe('tombstoneExpired', () => {
  const tombstone = (wall: number, expiresAt: number): IndexEntry => ({
    name: 'f',
    version: encodeVersion({ wall, counter: 0 }, 'a'),
    size: 0,
    sha256: '',
    deleted: true,
    expiresAt,
    holders: [],
    local: false,
  });

  it('expires at the recorded expiry, capped by the local TTL from the version wall time', () => {
    expect(tombstoneExpired(tombstone(100, 150), 149, 1000)).toBe(false);
    expect(tombstoneExpired(tombstone(100, 150), 150, 1000)).toBe(true);
    // A far-off recorded expiry (from before expiry was computed locally) is capped by the TTL.
    expect(tombstoneExpired(tombstone(100, Number.MAX_SAFE_INTEGER), 1099, 1000)).toBe(false);
    expect(tombstoneExpired(tombstone(100, Number.MAX_SAFE_INTEGER), 1100, 1000)).toBe(true);
  });

  it('never expires a live entry', () => {
    fc.assert(
      fc.property(indexEntry, fc.nat(), (entry, now) => {
        if (!entry.deleted) expect(tombstoneExpired(entry, now, 0)).toBe(false);
      }),
    );
  });
});

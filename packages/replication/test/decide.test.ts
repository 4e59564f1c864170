import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideEntry, effectsAfterWrite } from '../src/decide.js';
import type { IndexEntry } from '../src/file-index.js';
import { compareVersions, encodeVersion } from '../src/hlc.js';
import { entriesEqual, mergeEntries } from '../src/merge.js';
import type { ReplicatedEntry } from '../src/merge.js';
import { anyEntry, deliver, honestEntry, indexEntry } from './decide-arbitraries.js';

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

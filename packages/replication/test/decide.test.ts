import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideEntry, effectsAfterWrite, reissuedOwnSlot } from '../src/decide.js';
import type { IndexEntry } from '../src/file-index.js';
import { compareVersions, encodeVersion } from '../src/hlc.js';
import { entriesEqual, mergeEntries, slotOf, withOwnSlot } from '../src/merge.js';
import type { HolderSlot, ReplicatedEntry } from '../src/merge.js';
import { SELF, anyEntry, deliver, honestEntry, indexEntry, slot } from './decide-arbitraries.js';

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

  it('never adopts an older version, never moves a slot back, and keeps `local` for the same version', () => {
    fc.assert(
      fc.property(
        indexEntry,
        anyEntry,
        fc.integer({ min: 0, max: 20 }),
        (current, incoming, now) => {
          const decision = decideEntry(current, incoming, now, SELF);
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
            // Only slots can change under one version: the content is ours, and each slot only
            // moves forward (a higher seq, or at one seq from holding to not holding).
            expect(written.deleted).toBe(current.deleted);
            expect(written.sha256).toBe(current.sha256);
            expect(written.size).toBe(current.size);
            for (const before of current.holders) {
              const after = slotOf(written, before.node);
              expect(after).toBeDefined();
              expect(after!.seq).toBeGreaterThanOrEqual(before.seq);
              if (after!.seq === before.seq) expect(after!.holds && !before.holds).toBe(false);
            }
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
    expect(decideEntry(ours, forgedTombstone, 0, SELF)).toEqual({
      kind: 'ignore',
      reason: 'conflicting-content',
    });
    const otherBytes = {
      ...ours,
      sha256: 'bb',
      holders: [
        { node: 'node-b', seq: 1, holds: true },
        { node: 'node-c', seq: 1, holds: true },
      ],
    };
    expect(decideEntry(ours, otherBytes, 0, SELF)).toEqual({
      kind: 'ignore',
      reason: 'conflicting-content',
    });
  });

  it('ignores an expired tombstone for a name it does not know, and adopts an unexpired one', () => {
    fc.assert(
      fc.property(anyEntry, fc.integer({ min: 0, max: 20 }), (incoming, now) => {
        const decision = decideEntry(undefined, incoming, now, SELF);
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
    const decision = decideEntry(live, tombstone, 100, SELF);
    expect(decision.kind).toBe('adopt');
  });
});

describe("a peer's slot for this node (only this node writes it)", () => {
  const ME = 'c';
  const held: IndexEntry = {
    name: 'f',
    version: encodeVersion({ wall: 1, counter: 0 }, 'a'),
    size: 1,
    sha256: 'aa',
    deleted: false,
    expiresAt: 0,
    holders: [
      { node: 'a', seq: 1, holds: true },
      { node: ME, seq: 1, holds: true },
    ],
    local: true,
  };
  const withMine = (entry: ReplicatedEntry, mine: HolderSlot): ReplicatedEntry => ({
    ...entry,
    holders: [...entry.holders.filter((s) => s.node !== ME), mine].sort((x, y) =>
      x.node < y.node ? -1 : 1,
    ),
  });

  it('reissuedOwnSlot outbids a slot as new as ours, saying what `local` says', () => {
    const mine = { node: ME, seq: 2, holds: true };
    expect(reissuedOwnSlot(mine, { node: ME, seq: 1, holds: false }, ME, true)).toBeUndefined();
    expect(reissuedOwnSlot(mine, mine, ME, true)).toBeUndefined();
    expect(reissuedOwnSlot(mine, { ...mine, holds: false }, ME, true)).toEqual({
      node: ME,
      seq: 3,
      holds: true,
    });
    expect(reissuedOwnSlot(mine, { node: ME, seq: 7, holds: true }, ME, false)).toEqual({
      node: ME,
      seq: 8,
      holds: false,
    });
    expect(reissuedOwnSlot(undefined, { node: ME, seq: 0, holds: true }, ME, false)).toEqual({
      node: ME,
      seq: 1,
      holds: false,
    });
    expect(reissuedOwnSlot(mine, undefined, ME, false)).toBeUndefined();
    // The wire's largest seq cannot be outbid without an entry every peer would refuse.
    const top = { node: ME, seq: Number.MAX_SAFE_INTEGER, holds: false };
    expect(reissuedOwnSlot(mine, top, ME, true)).toBeUndefined();
  });

  it('never adopts it; when it is as new as ours, re-issues ours above it and announces', () => {
    fc.assert(
      fc.property(
        indexEntry,
        anyEntry,
        slot.map((s) => ({ ...s, node: ME })),
        (current, incoming, theirs) => {
          const received = withMine(incoming, theirs);
          const decision = decideEntry(current, received, 0, ME);
          if (decision.kind === 'ignore') return;
          const [effect] = decision.effects;
          const written = effect.entry;
          const mine = slotOf(written, ME);
          const ours = current.version === written.version ? slotOf(current, ME) : undefined;
          if (written.deleted) {
            expect(written.holders).toEqual([]);
            return;
          }
          // Our slot is ours (kept) or re-issued above theirs, saying what `local` says.
          if (mine !== undefined && mine !== ours) {
            expect(mine).toEqual({ node: ME, seq: theirs.seq + 1, holds: written.local });
            expect(effect.announce).toBe(true);
          } else {
            // Kept only when it already outbids theirs.
            expect(ours).toBeDefined();
            const same = ours!.seq === theirs.seq && ours!.holds === theirs.holds;
            expect(ours!.seq > theirs.seq || (same && ours!.holds === written.local)).toBe(true);
          }
          // After the decision, their slot never beats ours in a merge.
          if (mine !== undefined) {
            const merged = mergeEntries(written, received);
            if (merged.version === written.version) {
              expect(slotOf(merged, ME)?.holds).toBe(mine.holds);
            }
          }
        },
      ),
    );
  });

  it('a rebuilt index (no slot, bytes gone) answers a stale "holds" for it with "does not hold"', () => {
    const rebuilt: IndexEntry = { ...held, holders: [held.holders[0]!], local: false };
    const peer = withOwnSlot(held, ME, true); // unchanged: seq 1, holds
    const decision = decideEntry(rebuilt, peer, 0, ME);
    expect(decision.kind).toBe('reissue-own-slot');
    if (decision.kind !== 'reissue-own-slot') return;
    expect(slotOf(decision.effects[0].entry, ME)).toEqual({ node: ME, seq: 2, holds: false });
    expect(decision.effects[0].announce).toBe(true);
    expect(decision.effects[0].entry.local).toBe(false);
    // Our re-issued slot wins at the peer, and the peer's copy then teaches us nothing.
    const merged = mergeEntries(peer, decision.effects[0].entry);
    expect(slotOf(merged, ME)).toEqual({ node: ME, seq: 2, holds: false });
    const again = decideEntry(decision.effects[0].entry, merged, 0, ME);
    expect(again).toEqual({ kind: 'ignore', reason: 'stale' });
  });

  it("a newer version learned from a peer that lists this node gets this node's own slot", () => {
    const newer = {
      ...held,
      version: encodeVersion({ wall: 2, counter: 0 }, 'a'),
      holders: [{ node: ME, seq: 4, holds: true }],
    };
    const decision = decideEntry(held, newer, 0, ME);
    expect(decision.kind).toBe('adopt');
    if (decision.kind !== 'adopt') return;
    expect(decision.effects[0].entry.holders).toEqual([{ node: ME, seq: 5, holds: false }]);
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

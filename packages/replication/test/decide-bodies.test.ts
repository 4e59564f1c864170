import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideClaim,
  decideDrop,
  decideForgetCopy,
  decidePullStart,
  decidePulled,
  decidePush,
  tombstoneExpired,
} from '../src/decide.js';
import type { IndexEntry } from '../src/file-index.js';
import { compareVersions, encodeVersion } from '../src/hlc.js';
import { holdingNodes, slotOf } from '../src/merge.js';
import { indexEntry, version, writes } from './decide-arbitraries.js';

/** This node in these tests: one of the nodes the arbitraries write slots for. */
const NODE = 'c';

describe('decideClaim (stored bytes: pushed, or found before a pull)', () => {
  it('never claims bytes whose version, sha256 or size differ from the current entry', () => {
    fc.assert(
      fc.property(
        fc.option(indexEntry, { nil: undefined }),
        version,
        fc.record({ size: fc.integer({ min: 0, max: 2 }), sha256: fc.constantFrom('aa', 'bb') }),
        fc.option(fc.constantFrom('a', 'b', 'x'), { nil: undefined }),
        (latest, v, stored, from) => {
          const decision = decideClaim(latest, v.encoded, stored, from, NODE);
          for (const written of writes('effects' in decision ? decision.effects : [])) {
            expect(written.local).toBe(true);
            expect(written.version).toBe(v.encoded);
            expect(written.deleted).toBe(false);
            expect(written.sha256).toBe(stored.sha256);
            expect(written.size).toBe(stored.size);
            // The sender is a holder unless it said otherwise itself; this node now holds.
            if (from !== undefined) {
              const said = latest === undefined ? undefined : slotOf(latest, from);
              expect(slotOf(written, from)).toEqual(said ?? { node: from, seq: 0, holds: true });
            }
            expect(slotOf(written, NODE)?.holds).toBe(true);
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
      holders: [{ node: 'b', seq: 1, holds: true }],
      local: false,
    };
    const decision = decideClaim(latest, latest.version, { size: 2, sha256: 'aa' }, 'a', NODE);
    expect(decision.kind).toBe('claim');
    expect(decision.claimed && 'effects' in decision ? decision.effects : []).toEqual([
      {
        kind: 'write',
        entry: {
          ...latest,
          local: true,
          holders: [
            { node: 'a', seq: 0, holds: true },
            { node: 'b', seq: 1, holds: true },
            { node: NODE, seq: 1, holds: true },
          ],
        },
        announce: true,
        pull: true,
        bytesStored: true,
      },
    ]);
    expect(decideClaim({ ...latest, local: true }, latest.version, latest, 'a', NODE).kind).toBe(
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
          const decision = decidePulled(latest, 'f', v.encoded, from, running, NODE);
          if (running && latest?.version === v.encoded) {
            expect(decision.kind).toBe('record');
            const [written] = writes(decision.effects);
            expect(written).toMatchObject({ version: v.encoded, local: true });
            // (A tombstone has no body to pull and no slots; the arbitrary makes some anyway.)
            if (!latest.deleted) expect(holdingNodes(written!)).toContain(NODE);
            if (!latest.deleted && from !== NODE && slotOf(latest, from) === undefined) {
              expect(slotOf(written!, from)).toEqual({ node: from, seq: 0, holds: true });
            }
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
      holders: [{ node: 'a', seq: 1, holds: true }],
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

describe('decideForgetCopy and decideDrop (this node stops holding its copy)', () => {
  for (const [what, decide, kind] of [
    ['decideForgetCopy (a corrupt or missing copy)', decideForgetCopy, 'forget'],
    ['decideDrop (a surplus copy)', decideDrop, 'drop'],
  ] as const) {
    it(`${what}: announces its slot saying it no longer holds (no pull), then deletes`, () => {
      fc.assert(
        fc.property(fc.option(indexEntry, { nil: undefined }), version, (current, v) => {
          const decision = decide(current, v.encoded, NODE);
          if (current === undefined || current.version !== v.encoded || !current.local) {
            expect(decision.kind).toBe('ignore');
            return;
          }
          const before = slotOf(current, NODE);
          const expected =
            before?.holds === false
              ? current.holders
              : [
                  ...current.holders.filter((s) => s.node < NODE),
                  { node: NODE, seq: (before?.seq ?? 0) + 1, holds: false },
                  ...current.holders.filter((s) => s.node > NODE),
                ];
          expect(decision).toEqual({
            kind,
            effects: [
              {
                kind: 'write',
                entry: { ...current, local: false, holders: expected },
                announce: true,
                pull: false,
                bytesStored: false,
              },
              { kind: 'delete-bytes', name: current.name, version: v.encoded },
            ],
          });
        }),
      );
    });
  }
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

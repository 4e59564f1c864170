import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DIGEST_BRANCHING,
  DIGEST_DEPTH,
  DigestTree,
  EMPTY_DIGEST,
  bucketOf,
  childrenOf,
  sameDigest,
  type BucketRef,
} from '../src/index.js';

const ROOT: BucketRef = { depth: 0, index: 0 };

function treeOf(state: ReadonlyMap<string, string>): DigestTree {
  const tree = new DigestTree();
  for (const [key, fingerprint] of state) tree.set(key, fingerprint);
  return tree;
}

const stateArb = fc
  .dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('v1', 'v2', 'v3'), {
    maxKeys: 40,
  })
  .map((record) => new Map(Object.entries(record)));

/** A second state that is often equal to the first and otherwise differs by a few edits. */
const statePairArb = stateArb.chain((a) =>
  fc
    .array(
      fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom('v1', 'v2', 'v3', null)),
      { maxLength: 3 },
    )
    .map((edits) => {
      const b = new Map(a);
      for (const [key, value] of edits) {
        if (value === null) b.delete(key);
        else b.set(key, value);
      }
      return [a, b] as const;
    }),
);

function equalMaps(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

describe('bucket maths', () => {
  it('places a key in nested buckets: each is a child of the one above', () => {
    for (const key of ['a', 'hello', 'files/x.txt']) {
      for (let depth = 1; depth <= DIGEST_DEPTH; depth++) {
        const parent = bucketOf(key, depth - 1);
        const children = childrenOf(parent);
        expect(children).toHaveLength(DIGEST_BRANCHING);
        expect(children).toContainEqual(bucketOf(key, depth));
      }
    }
  });

  it('refuses depths and indices outside the tree', () => {
    expect(() => bucketOf('a', DIGEST_DEPTH + 1)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => childrenOf({ depth: DIGEST_DEPTH, index: 0 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
    expect(() => new DigestTree().digest({ depth: 1, index: 16 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describe('DigestTree', () => {
  it('an empty tree has the empty digest everywhere', () => {
    const tree = new DigestTree();
    expect(tree.digest(ROOT)).toEqual(EMPTY_DIGEST);
    expect(tree.keysIn(ROOT)).toEqual([]);
  });

  it('setting the same fingerprint again changes nothing; deleting restores the empty digest', () => {
    const tree = new DigestTree();
    tree.set('k', 'v1');
    const once = tree.digest(ROOT);
    tree.set('k', 'v1');
    expect(tree.digest(ROOT)).toEqual(once);
    expect(tree.size).toBe(1);
    expect(tree.delete('k')).toBe(true);
    expect(tree.delete('k')).toBe(false);
    expect(tree.digest(ROOT)).toEqual(EMPTY_DIGEST);
    expect(tree.digest(bucketOf('k', DIGEST_DEPTH))).toEqual(EMPTY_DIGEST);
  });

  it('root digests agree exactly when the states are equal (property)', () => {
    fc.assert(
      fc.property(statePairArb, ([a, b]) => {
        expect(sameDigest(treeOf(a).digest(ROOT), treeOf(b).digest(ROOT))).toBe(equalMaps(a, b));
      }),
    );
  });

  it('an incrementally updated tree equals one built from scratch, in every bucket (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ minLength: 1, maxLength: 4 }), fc.constantFrom('v1', 'v2', null)),
          { maxLength: 60 },
        ),
        (operations) => {
          const incremental = new DigestTree();
          const state = new Map<string, string>();
          for (const [key, value] of operations) {
            if (value === null) {
              incremental.delete(key);
              state.delete(key);
            } else {
              incremental.set(key, value);
              state.set(key, value);
            }
          }
          const fresh = treeOf(state);
          expect(incremental.size).toBe(state.size);
          for (const key of state.keys()) {
            for (let depth = 0; depth <= DIGEST_DEPTH; depth++) {
              const bucket = bucketOf(key, depth);
              expect(incremental.digest(bucket)).toEqual(fresh.digest(bucket));
            }
          }
          expect(incremental.digest(ROOT)).toEqual(fresh.digest(ROOT));
        },
      ),
    );
  });

  it('a bucket digest counts and lists exactly the keys hashed into it (property)', () => {
    fc.assert(
      fc.property(stateArb, fc.integer({ min: 0, max: DIGEST_DEPTH }), (state, depth) => {
        const tree = treeOf(state);
        const byBucket = new Map<number, string[]>();
        for (const key of state.keys()) {
          const index = bucketOf(key, depth).index;
          byBucket.set(index, [...(byBucket.get(index) ?? []), key]);
        }
        for (const [index, keys] of byBucket) {
          expect(tree.digest({ depth, index }).count).toBe(keys.length);
          expect(tree.keysIn({ depth, index }).sort()).toEqual(keys.sort());
        }
      }),
    );
  });
});

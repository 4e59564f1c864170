import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/index.js';
import { collect, getBytes, rejection, sha256, tempDir } from './helpers.js';

type Op =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'get'; key: string }
  | { kind: 'list'; prefix: string }
  | { kind: 'reopen' };

// Few keys so that operations collide; they include a prefix family and non-ASCII text.
const key = fc.constantFrom('a', 'a/b', 'a/c', 'b', 'é', '\u{1F600}', '../x');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), key, value: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), key }),
  fc.record({ kind: fc.constant('get' as const), key }),
  fc.record({ kind: fc.constant('list' as const), prefix: fc.constantFrom('', 'a', 'a/', 'z') }),
  fc.constant({ kind: 'reopen' as const }),
);

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

describe('model', () => {
  it('any sequence of put/delete/get/list/reopen matches an in-memory Map', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        const dir = await tempDir();
        // fsync off: atomicity and results are the same, only crash durability differs.
        let store: Store = await openStore({ dir, fsync: false });
        const model = new Map<string, string>();
        try {
          for (const step of ops) {
            switch (step.kind) {
              case 'put': {
                const entry = await store.put(step.key, step.value, {
                  metadata: { v: step.value },
                });
                expect(entry.sha256).toBe(sha256(step.value));
                model.set(step.key, step.value);
                break;
              }
              case 'delete':
                expect(await store.delete(step.key)).toBe(model.delete(step.key));
                break;
              case 'get': {
                const expected = model.get(step.key);
                expect(await store.has(step.key)).toBe(expected !== undefined);
                if (expected === undefined) {
                  expect((await rejection(store.get(step.key))).code).toBe('ERR_NOT_FOUND');
                } else {
                  expect((await getBytes(store, step.key)).toString()).toBe(expected);
                  expect((await store.stat(step.key))?.metadata).toEqual({ v: expected });
                }
                break;
              }
              case 'list': {
                const listed = await collect(store.list({ prefix: step.prefix }));
                const expected = [...model.keys()]
                  .filter((k) => k.startsWith(step.prefix))
                  .sort(byUtf8);
                expect(listed.map((e) => e.key)).toEqual(expected);
                for (const e of listed) expect(e.sha256).toBe(sha256(model.get(e.key) ?? ''));
                break;
              }
              case 'reopen':
                await store.close();
                store = await openStore({ dir, fsync: false });
                break;
            }
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});

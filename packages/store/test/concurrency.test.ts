import { describe, expect, it } from 'vitest';
import { bytes, chunked, collect, filesUnder, getBytes, sha256, tempStore } from './helpers.js';

describe('concurrency', () => {
  it('concurrent puts of one key end with exactly one whole value', async () => {
    const { store, dir } = await tempStore();
    // Different sizes and chunkings so the writers interleave and finish in varying order.
    const bodies = Array.from({ length: 8 }, (_, i) => bytes(20_000 + i * 7919, i + 1));
    const results = await Promise.all(
      bodies.map((body, i) =>
        store.put('same', chunked(body, 1000 + i * 300), { metadata: { i } }),
      ),
    );
    results.forEach((entry, i) => expect(entry.sha256).toBe(sha256(bodies[i] ?? '')));
    const final = await getBytes(store, 'same');
    const winner = bodies.findIndex((b) => b.equals(final));
    expect(winner).toBeGreaterThanOrEqual(0);
    // Metadata belongs to the same put as the body.
    expect(await store.stat('same')).toMatchObject({
      metadata: { i: winner },
      sha256: sha256(final),
    });
    expect(await filesUnder(dir)).toHaveLength(2);
  });

  it('concurrent puts, deletes and setMetadata never expose a mixed value', async () => {
    const { store } = await tempStore();
    const a = bytes(50_000, 11);
    const b = bytes(30_000, 12);
    await store.put('k', a, { metadata: { body: 'a' } });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i++) {
      work.push(
        store.put('k', i % 2 === 0 ? b : a, { metadata: { body: i % 2 === 0 ? 'b' : 'a' } }),
      );
      work.push(store.setMetadata('k', { body: 'x' }).catch(() => undefined));
      work.push(getBytes(store, 'k').catch(() => undefined));
    }
    await Promise.all(work);
    const final = await getBytes(store, 'k');
    expect(final.equals(a) || final.equals(b)).toBe(true);
    const entry = await store.verify('k');
    expect(entry.sha256).toBe(sha256(final));
  });

  it('puts of many keys at once are all listed', async () => {
    const { store } = await tempStore({ fsync: false });
    const keys = Array.from({ length: 60 }, (_, i) => `key-${i}`);
    await Promise.all(keys.map((k) => store.put(k, k)));
    expect((await collect(store.list())).map((e) => e.key).sort()).toEqual([...keys].sort());
  });
});

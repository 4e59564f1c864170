import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytes, readAll, rejection, tempStore, expectBytes } from './helpers.js';

describe('get with a byte range', () => {
  it('serves the first byte, the last byte and the whole body', async () => {
    const { store } = await tempStore();
    const body = bytes(600_000); // spans several read chunks
    await store.put('k', body);
    const read = async (start: number, end: number): Promise<Buffer> =>
      readAll(await store.get('k', { range: { start, end } }));
    expectBytes(await read(0, 0), body.subarray(0, 1));
    expectBytes(await read(body.length - 1, body.length - 1), body.subarray(-1));
    expectBytes(await read(0, body.length - 1), body);
    expectBytes(await read(262_143, 262_145), body.subarray(262_143, 262_146));
  });

  it('reports the range on the stream', async () => {
    const { store } = await tempStore();
    await store.put('k', 'abcdef');
    const stream = await store.get('k', { range: { start: 1, end: 3 } });
    expect(stream.range).toEqual({ start: 1, end: 3 });
    expect((await readAll(stream)).toString()).toBe('bcd');
  });

  it('refuses unsatisfiable ranges with ERR_RANGE', async () => {
    const { store } = await tempStore();
    await store.put('k', 'abcdef');
    await store.put('empty', '');
    const bad = [
      { start: 0, end: 6 },
      { start: 6, end: 6 },
      { start: 3, end: 2 },
      { start: -1, end: 2 },
      { start: 0.5, end: 2 },
      { start: 0, end: Number.NaN },
      null as unknown as { start: number; end: number },
      { start: '1', end: 2 } as unknown as { start: number; end: number },
    ];
    for (const range of bad) {
      expect((await rejection(store.get('k', { range }))).code).toBe('ERR_RANGE');
    }
    expect((await rejection(store.get('empty', { range: { start: 0, end: 0 } }))).code).toBe(
      'ERR_RANGE',
    );
  });

  it('any satisfiable range returns exactly that slice', async () => {
    const { store } = await tempStore({ fsync: false });
    const body = bytes(5000, 3);
    await store.put('k', body);
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: body.length - 1 }),
        fc.nat({ max: body.length - 1 }),
        async (a, b) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const got = await readAll(await store.get('k', { range: { start, end } }));
          expectBytes(got, body.subarray(start, end + 1));
        },
      ),
      { numRuns: 40 },
    );
  });
});

import { open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeTrailer, readEntry } from '../src/format.js';
import type { StoreEntry } from '../src/index.js';
import { tempDir } from './helpers.js';

const entryArb: fc.Arbitrary<StoreEntry> = fc.record({
  key: fc.string({ minLength: 1, maxLength: 300, unit: 'grapheme' }),
  size: fc.nat({ max: 2000 }),
  sha256: fc.stringMatching(/^[0-9a-f]{64}$/),
  created: fc.nat(),
  metadata: fc.dictionary(
    fc.string({ maxLength: 10 }),
    fc.oneof(
      fc.string(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    ),
    { maxKeys: 4 },
  ),
});

async function readFrom(path: string): Promise<StoreEntry> {
  const handle = await open(path, 'r');
  try {
    return await readEntry(handle);
  } finally {
    await handle.close();
  }
}

describe('entry trailer codec', () => {
  it('round-trips any entry behind a body of its size', async () => {
    const dir = await tempDir();
    const path = join(dir, 'entry');
    await fc.assert(
      fc.asyncProperty(entryArb, async (entry) => {
        await writeFile(path, Buffer.concat([Buffer.alloc(entry.size, 1), encodeTrailer(entry)]));
        const decoded = await readFrom(path);
        expect(decoded).toEqual(JSON.parse(JSON.stringify(entry)) as StoreEntry);
      }),
      { numRuns: 60 },
    );
  });

  it('detects any single flipped byte in the trailer', async () => {
    const dir = await tempDir();
    const path = join(dir, 'entry');
    await fc.assert(
      fc.asyncProperty(
        entryArb,
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (entry, at, xor) => {
          const trailer = encodeTrailer(entry);
          const index = at % trailer.length;
          trailer[index] = (trailer[index] ?? 0) ^ xor;
          await writeFile(path, Buffer.concat([Buffer.alloc(entry.size), trailer]));
          await expect(readFrom(path)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects files that are not entries', async () => {
    const dir = await tempDir();
    const path = join(dir, 'entry');
    for (const content of ['', 'short', 'x'.repeat(100)]) {
      await writeFile(path, content);
      await expect(readFrom(path)).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    }
  });
});

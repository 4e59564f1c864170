import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareKeys,
  commonPrefixOf,
  decodeContinuationToken,
  encodeContinuationToken,
  isS3Error,
  laterMarker,
  listPage,
  parseMaxKeys,
} from '../src/index.js';

async function* from(keys: string[], after?: string): AsyncIterable<{ key: string }> {
  for (const key of keys) if (after === undefined || compareKeys(key, after) > 0) yield { key };
}

/** What S3 lists in one go (no max-keys): keys and common prefixes, each once, in order. */
function reference(keys: string[], prefix: string, delimiter: string): string[] {
  const out: string[] = [];
  for (const key of keys) {
    if (!key.startsWith(prefix)) continue;
    const common = commonPrefixOf(key, prefix, delimiter);
    const item = common ?? key;
    if (out.at(-1) !== item) out.push(item);
  }
  return out;
}

const keyArbitrary = fc.stringMatching(/^[ab/é😀]{1,5}$/u);

describe('ListObjects pagination', () => {
  it('paging with any max-keys returns the one-shot listing, each item once, in byte order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArbitrary, { maxLength: 40 }),
        fc.constantFrom('', 'a', 'b/'),
        fc.constantFrom('', '/', 'é'),
        fc.integer({ min: 1, max: 5 }),
        fc.boolean(),
        async (unsorted, prefix, delimiter, maxKeys, seeking) => {
          const keys = [...unsorted].sort(compareKeys);
          const seen: string[] = [];
          let after: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            // The source starts after the marker, as a dfs listing with a cursor does.
            // Either one pass over the keys after the marker, or a source the listing reopens to
            // jump past each common prefix.
            const source = seeking ? (at: string | undefined) => from(keys, at) : from(keys, after);
            const page = await listPage(source, { prefix, delimiter, maxKeys, after });
            const items = [...page.contents.map((c) => c.key), ...page.commonPrefixes].sort(
              compareKeys,
            );
            expect(items.length).toBeLessThanOrEqual(maxKeys);
            seen.push(...items);
            if (!page.isTruncated) break;
            expect(page.next).toBe(items.at(-1));
            after = decodeContinuationToken(encodeContinuationToken(page.next!));
          }
          expect(seen).toEqual(reference(keys, prefix, delimiter));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rolls keys up into common prefixes after the prefix', async () => {
    const keys = ['a.txt', 'photos/2024/x.jpg', 'photos/2025/y.jpg', 'photos/z.jpg', 'video/v.mp4'];
    const page = await listPage(from(keys), { prefix: 'photos/', delimiter: '/', maxKeys: 1000 });
    expect(page.contents.map((c) => c.key)).toEqual(['photos/z.jpg']);
    expect(page.commonPrefixes).toEqual(['photos/2024/', 'photos/2025/']);
    expect(page.isTruncated).toBe(false);
  });

  it('jumps past a common prefix instead of reading every key under it', async () => {
    const keys = ['a/1', 'a/2', 'a/3', 'b'];
    let read = 0;
    const source = async function* (at: string | undefined): AsyncIterable<{ key: string }> {
      for await (const item of from(keys, at)) {
        read++;
        yield item;
      }
    };
    const page = await listPage(source, { prefix: '', delimiter: '/', maxKeys: 10 });
    expect([page.commonPrefixes, page.contents.map((c) => c.key)]).toEqual([['a/'], ['b']]);
    expect(read).toBe(2);
  });

  it('max-keys 0 lists nothing', async () => {
    expect(await listPage(from(['a']), { prefix: '', maxKeys: 0 })).toEqual({
      contents: [],
      commonPrefixes: [],
      isTruncated: false,
    });
  });

  it('orders keys by their UTF-8 bytes, not UTF-16 units', () => {
    // U+FF61 sorts after U+1F600 in UTF-16 units but before it in UTF-8 bytes.
    expect(compareKeys('\uff61', '😀')).toBeLessThan(0);
    expect('\uff61' < '😀').toBe(false);
  });

  it('refuses continuation tokens it did not make, and bounds max-keys', () => {
    const code = (run: () => unknown): string | undefined => {
      try {
        run();
      } catch (error) {
        return isS3Error(error) ? error.code : 'other';
      }
      return undefined;
    };
    expect(code(() => decodeContinuationToken('!!!'))).toBe('InvalidArgument');
    expect(code(() => decodeContinuationToken(''))).toBe('InvalidArgument');
    expect(code(() => decodeContinuationToken(encodeContinuationToken('k'.repeat(1025))))).toBe(
      'InvalidArgument',
    );
    expect(parseMaxKeys(null)).toBe(1000);
    expect(parseMaxKeys('5000')).toBe(1000);
    expect(parseMaxKeys('0')).toBe(0);
    expect(code(() => parseMaxKeys('-1'))).toBe('InvalidArgument');
    expect(code(() => parseMaxKeys('1e3'))).toBe('InvalidArgument');
  });

  it('starts after the later of start-after and the token', () => {
    expect(laterMarker('b', 'a')).toBe('b');
    expect(laterMarker(undefined, 'a')).toBe('a');
    expect(laterMarker('', '')).toBeUndefined();
  });
});

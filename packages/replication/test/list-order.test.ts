import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ListOrder, encodeCursor } from '../src/list-order.js';

const utf8Order = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

describe('ListOrder', () => {
  it('pages through names in UTF-8 byte order with prefix and cursor (property)', () => {
    const name = fc.string({
      unit: fc.constantFrom('a', 'b', '/', 'é', '\u{1F600}', '\uFF5E'),
      minLength: 1,
      maxLength: 4,
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 30 }),
        fc.constantFrom('', 'a', 'b/', 'é'),
        fc.integer({ min: 1, max: 7 }),
        (names, prefix, limit) => {
          const order = new ListOrder();
          for (const n of names) order.add(n);
          const expected = names.filter((n) => n.startsWith(prefix)).sort(utf8Order);
          const seen: string[] = [];
          let cursor: string | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = order.page({ prefix, limit, cursor });
            seen.push(...page.names);
            expect(page.names.length).toBeLessThanOrEqual(limit);
            if (page.next === undefined) break;
            cursor = page.next;
          }
          expect(seen).toEqual(expected);
        },
      ),
    );
  });

  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    const order = new ListOrder();
    order.add('\uFF5E'); // EF BD 9E
    order.add('\u{1F600}'); // F0 9F 98 80, but a surrogate pair (D83D) sorts first in UTF-16
    expect(order.page({ limit: 10 }).names).toEqual(['\uFF5E', '\u{1F600}']);
  });

  it('removes names, ignores duplicates and survives a garbage cursor', () => {
    const order = new ListOrder();
    for (const n of ['c', 'a', 'b', 'a']) order.add(n);
    order.remove('b');
    order.remove('zzz');
    expect(order.size).toBe(2);
    expect(order.page({ limit: 10, cursor: '!!not base64!!' }).names).toEqual(['a', 'c']);
    expect(order.page({ limit: 10, cursor: encodeCursor('a') }).names).toEqual(['c']);
    expect(order.page({ limit: 0 }).names).toEqual([]);
  });
});

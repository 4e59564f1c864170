import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAge, formatBytes, formatRate, renderFields, renderTable } from '../src/format.js';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024 * 1024, '10 MiB'],
    [5.25 * 1024 ** 3, '5.3 GiB'],
    [-1, '?'],
    [Number.NaN, '?'],
  ])('%d → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('never grows shorter as sizes grow within a unit, and always names a unit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 52 }), (bytes) => {
        expect(formatBytes(bytes)).toMatch(/^\d+(\.\d)? (B|KiB|MiB|GiB|TiB|PiB)$/);
      }),
    );
  });
});

describe('formatAge', () => {
  const now = Date.UTC(2026, 0, 10, 12, 0, 0);
  it.each([
    [now - 1000, 'just now'],
    [now - 45_000, '45s ago'],
    [now - 3 * 60_000, '3m ago'],
    [now - 5 * 3_600_000, '5h ago'],
    [now - 3 * 86_400_000, '3d ago'],
    [now - 400 * 86_400_000, '2024-12-06'],
    [now + 60_000, 'in the future'],
    [undefined, '-'],
    [0, '-'],
  ])('%s → %s', (then, text) => {
    expect(formatAge(then, now)).toBe(text);
  });
});

describe('tables', () => {
  it('aligns columns, right-aligns where asked and leaves no trailing spaces', () => {
    const text = renderTable(
      ['NAME', 'SIZE', 'MODIFIED'],
      [
        ['a', '1 B', 'just now'],
        ['longer/name', '10 KiB', '3m ago'],
      ],
      ['left', 'right', 'left'],
    );
    expect(text).toBe(
      'NAME           SIZE  MODIFIED\n' +
        'a               1 B  just now\n' +
        'longer/name  10 KiB  3m ago\n',
    );
    for (const line of text.split('\n')) expect(line).not.toMatch(/ $/);
  });

  it('counts characters, not UTF-16 units, when padding', () => {
    const text = renderTable(['N', 'X'], [['😀', 'y']]);
    expect(text.split('\n')[1]).toBe('😀  y');
  });

  it('renders aligned fields', () => {
    expect(
      renderFields([
        ['name', 'a'],
        ['sha256', 'b'],
      ]),
    ).toBe('name    a\nsha256  b\n');
  });

  it('formats a rate', () => {
    expect(formatRate(2 * 1024 * 1024, 1000)).toBe('2 MiB/s');
    expect(formatRate(5, 0)).toBe('-');
  });
});

describe('tables with wide characters', () => {
  it('aligns CJK and emoji names by display width, not code points', () => {
    const table = renderTable(
      ['NAME', 'SIZE'],
      [
        ['日本語.txt', '1 B'],
        ['abc.txt', '2 B'],
        ['📷.jpg', '3 B'],
      ],
      ['left', 'right'],
    );
    const lines = table.trimEnd().split('\n');
    // Every row's SIZE column ends in the same terminal column: 10 cells of name + 2 + 4.
    expect(lines).toEqual([
      'NAME        SIZE',
      '日本語.txt   1 B',
      'abc.txt      2 B',
      '📷.jpg       3 B',
    ]);
  });
});

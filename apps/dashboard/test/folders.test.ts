import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { breadcrumb, folderOf, groupByFolder, type ListingRow } from '../src/folders.js';

const file = (name: string, size = 1): { name: string; size: number; modified: number } => ({
  name,
  size,
  modified: 0,
});
const labels = (rows: ListingRow[]): string[] => rows.map((r) => r.label);

describe('groupByFolder', () => {
  it('shows one level: subfolders with their counts and the files directly inside', () => {
    const rows = groupByFolder('', [
      file('a/1', 10),
      file('a/2', 5),
      file('a/b/3', 1),
      file('top'),
      file('z/9'),
    ]);
    expect(labels(rows)).toEqual(['a/', 'top', 'z/']);
    expect(rows[0]).toMatchObject({ kind: 'folder', path: 'a/', files: 3, bytes: 16 });
    expect(rows[1]).toMatchObject({ kind: 'file', name: 'top' });
  });

  it('inside a folder, labels are relative and deeper names fold into subfolders', () => {
    const rows = groupByFolder('a/', [file('a/1'), file('a/b/3'), file('a/b/c/4')]);
    expect(labels(rows)).toEqual(['1', 'b/']);
    expect(rows[1]).toMatchObject({ path: 'a/b/', files: 2 });
  });

  it('a later page adds to the folder it continues instead of repeating it', () => {
    const first = groupByFolder('', [file('a/1'), file('a/2')]);
    const second = groupByFolder('', [file('a/3'), file('b')], first);
    expect(labels(second)).toEqual(['a/', 'b']);
    expect(second[0]).toMatchObject({ files: 3 });
    expect(first[0]).toMatchObject({ files: 2 });
  });

  it('paging in any split gives the same rows as one page (property)', () => {
    const name = fc
      .array(fc.constantFrom('a', 'b', 'c'), { minLength: 1, maxLength: 3 })
      .map((parts) => parts.join('/'));
    fc.assert(
      fc.property(fc.uniqueArray(name, { maxLength: 30 }), fc.nat(), (names, cut) => {
        const entries = [...names].sort().map((n) => file(n));
        const at = entries.length === 0 ? 0 : cut % entries.length;
        const whole = groupByFolder('', entries);
        const paged = groupByFolder('', entries.slice(at), groupByFolder('', entries.slice(0, at)));
        expect(paged).toEqual(whole);
        const counted = whole.reduce((n, r) => n + (r.kind === 'folder' ? r.files : 1), 0);
        expect(counted).toBe(entries.length);
      }),
    );
  });
});

describe('folder paths', () => {
  it('folderOf and breadcrumb', () => {
    expect(folderOf('a/b/c')).toBe('a/b/');
    expect(folderOf('c')).toBe('');
    expect(breadcrumb('')).toEqual([{ path: '', label: 'all files' }]);
    expect(breadcrumb('a/b/')).toEqual([
      { path: '', label: 'all files' },
      { path: 'a/', label: 'a' },
      { path: 'a/b/', label: 'b' },
    ]);
  });
});

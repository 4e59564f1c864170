// The pure parts of trees and sync: the plan from two listings (property-tested), folder grouping,
// and mapping names to local paths.
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { folderPrefix, groupByFolder, localPathFor } from '../src/remote-tree.js';
import { planSync, settleChecks, type SideEntry } from '../src/sync-plan.js';
import { parseLocation } from '../src/commands/sync.js';

const side = fc.dictionary(
  fc.constantFrom('a', 'b', 'c', 'd/e', 'd/f', 'g/h/i'),
  fc.record({
    size: fc.integer({ min: 0, max: 3 }),
    sha256: fc.option(fc.constantFrom('x', 'y'), { nil: undefined }),
  }),
);

const toMap = (record: Record<string, SideEntry>) => new Map(Object.entries(record));

describe('planSync', () => {
  it('puts every source path in exactly one of copy, check, unchanged', () => {
    fc.assert(
      fc.property(side, side, fc.boolean(), (source, target, del) => {
        const plan = planSync(toMap(source), toMap(target), { delete: del });
        const seen = [...plan.copy, ...plan.check, ...plan.unchanged].sort();
        expect(seen).toEqual(Object.keys(source).sort());
        // Removals are exactly the target-only paths, and only with delete.
        const targetOnly = Object.keys(target).filter((path) => !(path in source));
        expect(plan.remove).toEqual(del ? targetOnly.sort() : []);
        for (const path of plan.unchanged) {
          expect(source[path]?.sha256).toBeDefined();
          expect(source[path]?.sha256).toBe(target[path]?.sha256);
          expect(source[path]?.size).toBe(target[path]?.size);
        }
        for (const path of plan.check) expect(source[path]?.size).toBe(target[path]?.size);
      }),
    );
  });

  it('copies a checked path only when the hashes differ', () => {
    const plan = planSync(
      toMap({ same: { size: 1 }, diff: { size: 1 }, new: { size: 2 } }),
      toMap({ same: { size: 1, sha256: 'h' }, diff: { size: 1, sha256: 'h' } }),
      { delete: false },
    );
    expect(plan.check).toEqual(['diff', 'same']);
    const settled = settleChecks(
      plan,
      new Map([
        ['same', { source: 'h', target: 'h' }],
        ['diff', { source: 'k', target: 'h' }],
      ]),
    );
    expect(settled).toEqual({ copy: ['diff', 'new'], check: [], unchanged: ['same'], remove: [] });
  });
});

describe('folders', () => {
  const entry = (name: string, size = 1, modified = 1) => ({
    name,
    size,
    sha256: 's',
    version: 'v',
    modified,
  });

  it('groups by the first slash after the prefix, with counts, sizes and the newest write', () => {
    const view = groupByFolder(
      [entry('a/x', 2, 5), entry('a/y/z', 3, 9), entry('b'), entry('c/d')],
      '',
    );
    expect(view.folders).toEqual([
      { name: 'a/', files: 2, bytes: 5, modified: 9 },
      { name: 'c/', files: 1, bytes: 1, modified: 1 },
    ]);
    expect(view.files.map((f) => f.name)).toEqual(['b']);
    expect(groupByFolder([entry('a/x'), entry('a/y/z')], 'a/').folders.map((f) => f.name)).toEqual([
      'a/y/',
    ]);
  });

  it('never loses or doubles a file', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.stringMatching(/^[ab/]{1,6}$/)), (names) => {
        const view = groupByFolder(
          names.sort().map((name) => entry(name)),
          '',
        );
        const counted = view.folders.reduce((sum, f) => sum + f.files, 0) + view.files.length;
        expect(counted).toBe(names.length);
      }),
    );
  });

  it('maps names under a prefix to local paths, refusing the ones that have none', () => {
    expect(folderPrefix('www')).toBe('www/');
    expect(folderPrefix('www/')).toBe('www/');
    expect(folderPrefix('')).toBe('');
    expect(localPathFor('/r', 'www/a/b.txt', 'www/')).toEqual({ path: join('/r', 'a/b.txt') });
    expect(localPathFor('/r', 'www/a//b', 'www/')).toHaveProperty('problem');
    expect(localPathFor('/r', 'www/dir/', 'www/')).toHaveProperty('problem');
    expect(localPathFor('/r', 'www/', 'www/')).toHaveProperty('problem');
  });

  it('stays inside the root for any name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a./\\]{1,8}$/), (rel) => {
        const result = localPathFor('/root', `p/${rel}`, 'p/');
        if ('path' in result) expect(result.path.startsWith('/root/')).toBe(true);
      }),
    );
  });
});

describe('sync locations', () => {
  it('reads dfs:folder as a cluster folder and anything else as local', () => {
    expect(parseLocation('dfs:www')).toEqual({ kind: 'cluster', prefix: 'www/' });
    expect(parseLocation('dfs:')).toEqual({ kind: 'cluster', prefix: '' });
    expect(parseLocation('dfs:/a/b/')).toEqual({ kind: 'cluster', prefix: 'a/b/' });
    expect(parseLocation('./dfs:x')).toEqual({ kind: 'local', path: './dfs:x' });
    expect(() => parseLocation('dfs:a/../b')).toThrow(/bad folder/);
  });
});

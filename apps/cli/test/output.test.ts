import type { ClusterView, FileStat } from '@dfs/client';
import { describe, expect, it } from 'vitest';
import { formatHealth, formatMembers } from '../src/commands/cluster.js';
import { formatListing, formatListingSummary } from '../src/commands/ls.js';
import { formatPutResult } from '../src/commands/put.js';
import { formatStat } from '../src/commands/stat.js';

const now = Date.UTC(2026, 10, 27, 12, 0, 0);

describe('command output', () => {
  it('lists members alive first, marks the answering node and shows ages', () => {
    const view: ClusterView = {
      self: 'aaa',
      selfMember: undefined,
      members: [
        {
          id: 'ddd',
          addr: '10.0.0.4:4001',
          state: 'dead',
          incarnation: 2,
          lastSeen: now - 600_000,
        },
        { id: 'aaa', addr: '10.0.0.1:4001', state: 'alive', incarnation: 1, lastSeen: now },
        {
          id: 'sss',
          addr: '10.0.0.3:4001',
          state: 'suspect',
          incarnation: 5,
          lastSeen: now - 7_000,
        },
        { id: 'bbb', addr: '10.0.0.2:4001', state: 'alive', incarnation: 3, lastSeen: undefined },
      ],
    };
    expect(formatMembers(view, now)).toBe(
      [
        '   ID   ADDRESS        STATE    INCARNATION  LAST SEEN',
        '*  aaa  10.0.0.1:4001  alive              1  self',
        '   bbb  10.0.0.2:4001  alive              3  -',
        '   sss  10.0.0.3:4001  suspect            5  7s ago',
        '   ddd  10.0.0.4:4001  dead               2  10m ago',
        '',
      ].join('\n'),
    );
  });

  it('shows health on one line', () => {
    expect(
      formatHealth({
        node: 'http://127.0.0.1:4001',
        status: 'ok',
        ok: true,
        id: 'abc',
        members: 3,
        files: 12,
      }),
    ).toBe('ok  node=127.0.0.1:4001  id=abc  members=3  files=12\n');
    expect(
      formatHealth({
        node: 'https://h',
        status: 'starting',
        ok: false,
        id: undefined,
        members: undefined,
        files: undefined,
      }),
    ).toBe('starting  node=https://h\n');
  });

  it('shows stat fields, with dashes for what the node did not say', () => {
    const info: FileStat = {
      name: 'a/b.txt',
      size: 2048,
      sha256: 'f'.repeat(64),
      version: '',
      holders: undefined,
      modified: now - 120_000,
    };
    expect(formatStat(info, now)).toBe(
      [
        'name      a/b.txt',
        'size      2 KiB (2048 bytes)',
        `sha256    ${'f'.repeat(64)}`,
        'version   -',
        'holders   -',
        'modified  2026-11-27T11:58:00.000Z (2m ago)',
        '',
      ].join('\n'),
    );
  });

  it('lists files and sums them', () => {
    const files = [
      { name: 'x', size: 1, sha256: 's', version: 'v', modified: now },
      { name: 'y/z', size: 3 * 1024 * 1024, sha256: 's', version: 'v', modified: now - 3_600_000 },
    ];
    expect(formatListing(files, now)).toBe(
      'NAME   SIZE  MODIFIED\nx       1 B  just now\ny/z   3 MiB  1h ago\n',
    );
    expect(formatListingSummary(files)).toBe('2 files, 3 MiB');
    expect(formatListingSummary(files.slice(0, 1))).toBe('1 file, 1 B');
  });

  it('prints one line per upload', () => {
    expect(formatPutResult({ name: 'a b', size: 10, sha256: 'ab', version: 'v' })).toBe(
      'a b  10 B  sha256:ab\n',
    );
  });
});

/** `dfs status` and `dfs node drain|remove` against the fake node (@dfs/client/testing). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeDfsServer, type FakeDfsServer } from '@dfs/client/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dfs, type RunOptions } from './harness.js';

let server: FakeDfsServer;
let dir: string;
let base: RunOptions;

beforeEach(async () => {
  server = await startFakeDfsServer({
    peers: [
      { id: 'peer-b', addr: '127.0.0.1:2', state: 'dead', incarnation: 2, lastSeen: 0 },
      {
        id: 'peer-c',
        addr: '127.0.0.1:3',
        state: 'alive',
        incarnation: 1,
        lastSeen: 0,
        placement: { state: 'in', weight: 2.5, capacity: 2.5 },
      },
    ],
  });
  dir = await mkdtemp(join(tmpdir(), 'dfs-cli-'));
  base = { cwd: dir, env: { DFS_NODE: server.address } };
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('dfs status', () => {
  it('shows every member with its state, placement and stats, then the replication summary', async () => {
    server.files.set('a', {
      body: Buffer.alloc(2048),
      sha256: 'x',
      version: 'v',
      modified: 1,
    });
    const run = await dfs(['status'], base);
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      /^\s+ID\s+ADDRESS\s+STATE\s+PLACEMENT\s+WEIGHT\s+FILES\s+SIZE\s+DISK FREE\s+IN\/OUT\s+BACKLOG\s+UP$/,
    );
    // The fake node reports 1 GiB free of 2 GiB for itself, and zeros for live peers.
    expect(lines[1]).toMatch(
      /^\*\s+fake-node\s+127\.0\.0\.1:\d+\s+alive\s+in\s+1\s+1\s+2 KiB\s+1 GiB \(50%\)\s+0\/0\s+0\s+0s$/,
    );
    expect(lines[2]).toMatch(/^\s+peer-c\s+127\.0\.0\.1:3\s+alive\s+in\s+2\.5\s+0\s+0 B\s/);
    expect(lines[3]).toMatch(
      /^\s+peer-b\s+127\.0\.0\.1:2\s+dead\s+down\s+1\s+-\s+-\s+\(dead\)\s+-\s+-\s+-$/,
    );
    expect(lines[4]).toBe('replicas 3  under-replicated 0  surplus 0');
    expect(run.stderr).toContain('the node that answered');
  });

  it('falls back to the cluster view on a node without /v1/status', async () => {
    await server.close();
    server = await startFakeDfsServer({
      intercept: (req, res) => {
        if (!req.url?.startsWith('/v1/status')) return false;
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no route' } }));
        return true;
      },
    });
    base = { cwd: dir, env: { DFS_NODE: server.address } };
    const run = await dfs(['status'], base);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\s+ID\s+ADDRESS\s+STATE\s+PLACEMENT\s+WEIGHT\n/);
    expect(run.stderr).toContain('no per-node stats');
  });

  it('says when rebalancing is paused, and prints JSON with --json', async () => {
    server.cluster.rebalancePaused = true;
    server.cluster.underReplicated = 12;
    const run = await dfs(['status'], base);
    expect(run.stdout).toMatch(
      /\nreplicas 3 {2}under-replicated 12 {2}surplus 0 {2}rebalancing paused\n$/,
    );
    const json = JSON.parse((await dfs(['status', '--json'], base)).stdout) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({ replicas: 3, rebalancePaused: true, underReplicated: 12 });
    expect(json.self).toBe('fake-node');
    const members = json.members as { id: string; stats: unknown }[];
    expect(members).toHaveLength(3);
    expect(members.find((m) => m.id === 'peer-b')).toMatchObject({ stats: null, error: 'dead' });
  });
});

describe('dfs node', () => {
  it('drains a member and shows it draining', async () => {
    const run = await dfs(['node', 'drain', 'peer-c'], base);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('draining peer-c: status draining\n');
    expect(server.nodeActions).toEqual(['drain peer-c']);
    expect((await dfs(['status'], base)).stdout).toMatch(
      /peer-c\s+127\.0\.0\.1:3\s+alive\s+draining\s+0/,
    );
  });

  it('removes with --yes, printing the row as JSON with --json', async () => {
    const run = await dfs(['--json', 'node', 'remove', 'peer-b', '--yes'], base);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'peer-b', status: 'removed' });
    expect(server.nodeActions).toEqual(['remove peer-b']);
  });

  it('refuses to remove without --yes when stdin is not a terminal (exit 2), sending nothing', async () => {
    const run = await dfs(['node', 'remove', 'peer-b'], { ...base, stdin: 'y\n' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not removing peer-b.*stdin is not a terminal.*--yes/);
    expect(server.nodeActions).toEqual([]);
  });

  it('asks on a terminal: y removes, anything else does not', async () => {
    const no = await dfs(['node', 'remove', 'peer-b'], { ...base, stdin: 'n\n', stdinIsTTY: true });
    expect(no.code).toBe(1);
    expect(no.stderr).toMatch(/Remove peer-b from placement now\?.*\[y\/N\]/);
    expect(server.nodeActions).toEqual([]);
    const yes = await dfs(['node', 'remove', 'peer-b'], {
      ...base,
      stdin: 'y\n',
      stdinIsTTY: true,
    });
    expect(yes.code).toBe(0);
    expect(server.nodeActions).toEqual(['remove peer-b']);
  });

  it('explains an unknown id and exits 1', async () => {
    const run = await dfs(['node', 'drain', 'nobody'], base);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^dfs: no member "nobody" \(127\.0\.0\.1:\d+\) — dfs status lists the members\n$/,
    );
  });

  it('needs an id', async () => {
    expect((await dfs(['node', 'drain'], base)).code).toBe(2);
  });
});

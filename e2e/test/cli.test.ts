// The built `dfs` against real nodes, as a user runs it: child processes, real ports, real disks.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freePort, runDfs, startNode, type RunningNode } from './cli-helpers.js';

const sha = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

let first: RunningNode;
let second: RunningNode;
let work: string;
let nodeEnv: Record<string, string>;

/** Short protocol intervals so membership and spreading settle in well under a second. */
const FAST = [
  '--gossip-interval',
  '100ms',
  '--probe-interval',
  '200ms',
  '--anti-entropy-interval',
  '300ms',
];

beforeAll(async () => {
  first = await startNode({ args: FAST });
  second = await startNode({ peers: [first.address], args: FAST });
  work = await mkdtemp(join(tmpdir(), 'dfs-cli-e2e-'));
  nodeEnv = { DFS_NODE: first.address };
}, 60_000);

/** Resolves once the first node lists both nodes as alive (the tests that span nodes need it). */
async function clusterFormed(): Promise<void> {
  await eventually('both nodes alive in the member list', async () => {
    const run = await runDfs(['members', '--json'], { cwd: work, env: nodeEnv });
    if (run.code !== 0) return undefined;
    const view = JSON.parse(run.stdout.toString()) as { members: { state: string }[] };
    return view.members.filter((m) => m.state === 'alive').length >= 2 ? true : undefined;
  });
}

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

describe('dfs against real nodes', { timeout: 60_000 }, () => {
  it('round-trips a binary file, and the other node serves it too', async () => {
    const body = randomBytes(300_000);
    await writeFile(join(work, 'random.bin'), body);
    const put = await runDfs(['put', 'random.bin', 'e2e/random.bin'], { cwd: work, env: nodeEnv });
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout.toString()).toContain(sha(body));

    const viaFirst = await runDfs(['get', 'e2e/random.bin', 'back.bin'], {
      cwd: work,
      env: nodeEnv,
    });
    expect(viaFirst.code).toBe(0);
    expect((await readFile(join(work, 'back.bin'))).equals(body)).toBe(true);

    await clusterFormed();
    const viaSecond = await runDfs(['--node', second.address, 'get', 'e2e/random.bin', '-'], {
      cwd: work,
    });
    expect(viaSecond.code).toBe(0);
    expect(viaSecond.stdout.equals(body)).toBe(true);
  });

  it('reads stdin and writes stdout byte for byte', async () => {
    const body = Buffer.concat([Buffer.from([0, 255, 10, 13]), randomBytes(50_000)]);
    const put = await runDfs(['put', '-', 'e2e/piped.bin'], {
      cwd: work,
      env: nodeEnv,
      stdin: body,
    });
    expect(put.code).toBe(0);
    const get = await runDfs(['get', 'e2e/piped.bin', '-'], { cwd: work, env: nodeEnv });
    expect(get.code).toBe(0);
    expect(get.stderr).toBe('');
    expect(sha(get.stdout)).toBe(sha(body));
  });

  it('resolves relative paths against the directory it runs in', async () => {
    const sub = join(work, 'deep/er');
    await mkdir(sub, { recursive: true });
    await writeFile(join(work, 'deep/up.txt'), 'from a parent directory');
    const put = await runDfs(['put', '../up.txt'], { cwd: sub, env: nodeEnv });
    expect(put.code).toBe(0);
    const get = await runDfs(['get', 'up.txt'], { cwd: sub, env: nodeEnv });
    expect(get.code).toBe(0);
    expect(await readFile(join(sub, 'up.txt'), 'utf8')).toBe('from a parent directory');
    const again = await runDfs(['get', 'up.txt'], { cwd: sub, env: nodeEnv });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('use --force');
  });

  it('uploads a tree with -r and lists it as JSON', async () => {
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'a/b'), { recursive: true });
    await writeFile(join(tree, 'top.txt'), 'top');
    await writeFile(join(tree, 'a/mid.txt'), 'mid');
    await writeFile(join(tree, 'a/b/leaf.txt'), 'leaf');
    const put = await runDfs(['put', '-r', 'tree', 'e2e/tree'], { cwd: work, env: nodeEnv });
    expect(put.code).toBe(0);
    const ls = await runDfs(['ls', 'e2e/tree/', '--json'], { cwd: work, env: nodeEnv });
    expect(ls.code).toBe(0);
    const files = JSON.parse(ls.stdout.toString()) as { name: string; size: number }[];
    expect(files.map((f) => f.name)).toEqual([
      'e2e/tree/a/b/leaf.txt',
      'e2e/tree/a/mid.txt',
      'e2e/tree/top.txt',
    ]);
  });

  it('status lists every member with the stats each reported', async () => {
    await clusterFormed();
    const view = await eventually('both members with stats in dfs status --json', async () => {
      const run = await runDfs(['status', '--json'], { cwd: work, env: nodeEnv });
      if (run.code !== 0) return undefined;
      const parsed = JSON.parse(run.stdout.toString()) as {
        members: { addr: string; stats: { files: number; diskTotal: number } | null }[];
      };
      return parsed.members.length === 2 && parsed.members.every((m) => m.stats !== null)
        ? parsed
        : undefined;
    });
    expect(view.members.map((m) => m.addr).sort()).toEqual([first.address, second.address].sort());
    for (const member of view.members) expect(member.stats?.diskTotal).toBeGreaterThan(0);
    const human = await runDfs(['status'], { cwd: work, env: nodeEnv });
    expect(human.code).toBe(0);
    const text = human.stdout.toString();
    expect(text).toMatch(/FILES\s+SIZE\s+DISK FREE\s+IN\/OUT\s+BACKLOG\s+UP\n/);
    expect(text).toContain(first.address);
    expect(text).toContain(second.address);
  });

  it('answers --json for stat, members and health', async () => {
    await runDfs(['put', '-', 'e2e/json.txt'], {
      cwd: work,
      env: nodeEnv,
      stdin: Buffer.from('j'),
    });
    const stat = await runDfs(['stat', 'e2e/json.txt', '--json'], { cwd: work, env: nodeEnv });
    expect(JSON.parse(stat.stdout.toString())).toMatchObject({ name: 'e2e/json.txt', size: 1 });
    await clusterFormed();
    const members = await runDfs(['members', '--json'], { cwd: work, env: nodeEnv });
    const view = JSON.parse(members.stdout.toString()) as { members: { addr: string }[] };
    expect(view.members.map((m) => m.addr).sort()).toEqual([first.address, second.address].sort());
    const health = await runDfs(['health', '--json'], { cwd: work, env: nodeEnv });
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout.toString())).toMatchObject({ ok: true, status: 'ok' });
  });

  it('removes a file so that neither node serves it', async () => {
    await runDfs(['put', '-', 'e2e/gone.txt'], {
      cwd: work,
      env: nodeEnv,
      stdin: Buffer.from('x'),
    });
    expect((await runDfs(['rm', 'e2e/gone.txt'], { cwd: work, env: nodeEnv })).code).toBe(0);
    const stat = await runDfs(['stat', 'e2e/gone.txt'], { cwd: work, env: nodeEnv });
    expect(stat.code).toBe(1);
    expect(stat.stderr).toContain('no file named "e2e/gone.txt"');
    await clusterFormed();
    await eventually('the delete to reach the second node', async () => {
      const run = await runDfs(['--node', second.address, 'stat', 'e2e/gone.txt'], { cwd: work });
      return run.code === 1 ? true : undefined;
    });
  });
});

describe('exit codes', { timeout: 60_000 }, () => {
  it('1 for a missing local file and a missing name, without a stack trace', async () => {
    const local = await runDfs(['put', 'no-such-file.bin'], { cwd: work, env: nodeEnv });
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/^dfs: no such file: no-such-file\.bin/);
    const remote = await runDfs(['get', 'no/such/name', '-'], { cwd: work, env: nodeEnv });
    expect(remote.code).toBe(1);
    expect(remote.stdout.length).toBe(0);
    expect(remote.stderr).not.toMatch(/\n\s+at /);
  });

  it('1 with the fix named when no node is reachable', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const run = await runDfs(['ls'], { cwd: work, env: { DFS_NODE: dead } });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`dfs: no node at ${dead} — is it running? set --node or DFS_NODE\n`);
  });

  it('2 for usage errors', async () => {
    for (const args of [['frobnicate'], ['put'], ['put', '-'], ['ls', '--limit', 'x']]) {
      const run = await runDfs(args, { cwd: work, env: nodeEnv });
      expect(run.code, args.join(' ')).toBe(2);
    }
  });
});

describe('API token', { timeout: 60_000 }, () => {
  let guarded: RunningNode;
  beforeAll(async () => {
    guarded = await startNode({
      args: ['--api-token', 'e2e-token', '--secret', 'e2e-secret', ...FAST],
    });
  }, 30_000);
  afterAll(async () => {
    await guarded?.stop();
  });

  it('is required by the node and sent from --token or DFS_API_TOKEN', async () => {
    const env = { DFS_NODE: guarded.address };
    const refused = await runDfs(['ls'], { cwd: work, env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('set --token or DFS_API_TOKEN');
    expect((await runDfs(['health'], { cwd: work, env })).code).toBe(0);
    expect((await runDfs(['ls', '--token', 'e2e-token'], { cwd: work, env })).code).toBe(0);
    const put = await runDfs(['put', '-', 't.txt'], {
      cwd: work,
      env: { ...env, DFS_API_TOKEN: 'e2e-token' },
      stdin: Buffer.from('t'),
    });
    expect(put.code).toBe(0);
    expect((await runDfs(['ls', '--token', 'wrong'], { cwd: work, env })).code).toBe(1);
  });
});

// The README's "Using dfs" session, run as written against two real nodes: the install line puts a
// `dfs` shim in a throwaway bin directory (with --no-build: the suite runs after the build), then
// every line of the session runs in bash, in order, in one directory. The nodes' addresses replace
// 127.0.0.1:4001/4002 (the tests pick free ports), and DFS_NODE names the first node (the default
// 127.0.0.1:4001 in the README).
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, eventually, runDfs, startNode, type RunningNode } from './cli-helpers.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const FAST = ['--gossip-interval', '100ms', '--probe-interval', '200ms'];

let first: RunningNode;
let second: RunningNode;
let work: string;

/** The indented code blocks of the README section `heading`, each as its lines. */
function sectionBlocks(readme: string, heading: string): string[][] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section ${heading}`);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks: string[][] = [];
  let current: string[] | undefined;
  for (const line of section.split('\n')) {
    if (line.startsWith('    ')) {
      current ??= [];
      current.push(line.slice(4));
    } else if (line.trim() !== '' && current) {
      blocks.push(current);
      current = undefined;
    }
  }
  if (current) blocks.push(current);
  return blocks;
}

beforeAll(async () => {
  first = await startNode({ args: FAST });
  second = await startNode({ peers: [first.address], args: FAST });
  work = await mkdtemp(join(tmpdir(), 'dfs-readme-session-'));
  await eventually('both nodes alive', async () => {
    const run = await runDfs(['members', '--json'], {
      cwd: work,
      env: { DFS_NODE: first.address },
    });
    const view = JSON.parse(run.stdout.toString() || '{"members":[]}') as {
      members: { state: string }[];
    };
    return view.members.filter((m) => m.state === 'alive').length >= 2 ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

describe("the README's Using dfs session", { timeout: 120_000 }, () => {
  it('runs as written', async () => {
    const readme = await readFile(join(repo, 'README.md'), 'utf8');
    const [install, session] = sectionBlocks(readme, '## Using dfs');
    expect(install).toEqual(['bash scripts/install-cli.sh']);
    expect(session?.some((line) => line.startsWith('dfs sync'))).toBe(true);

    const bin = join(work, 'bin');
    const env = cleanEnv({ DFS_BIN_DIR: bin, DFS_NODE: first.address });
    env.PATH = `${bin}:${env.PATH ?? ''}`;
    const installed = spawnSync('bash', ['-c', `${install?.[0]} --no-build`], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
    expect(installed.status, installed.stderr).toBe(0);

    const outputs: string[] = [];
    for (const written of session ?? []) {
      const line = written
        .replaceAll('127.0.0.1:4001', first.address)
        .replaceAll('127.0.0.1:4002', second.address);
      const run = spawnSync('bash', ['-eo', 'pipefail', '-c', line], {
        cwd: work,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, `${written}\n${run.stdout}${run.stderr}`).toBe(0);
      outputs.push(run.stdout);
    }
    const at = (prefix: string): string =>
      outputs[(session ?? []).findIndex((line) => line.startsWith(prefix))] ?? '';
    expect(at('dfs --node')).toBe('hello from dfs\n');
    expect(at('dfs ls ')).toMatch(/^NAME\s+SIZE\s+FILES\s+MODIFIED\nnotes\/\s+15 B\s+1\s/);
    expect(at('dfs sync site dfs:www --delete --dry-run')).toBe(
      'upload  www/index.html  (13 B)\ndelete  www/css/a.css\n',
    );
    // site-copy mirrors site after the two syncs.
    expect((await readdir(join(work, 'site-copy'), { recursive: true })).sort()).toEqual([
      'css',
      'index.html',
    ]);
    expect(await readFile(join(work, 'site-copy/index.html'), 'utf8')).toBe('<h1>new</h1>\n');
    // Everything was deleted at the end.
    const left = await runDfs(['ls', '-r', '--json'], {
      cwd: work,
      env: { DFS_NODE: first.address },
    });
    expect(JSON.parse(left.stdout.toString())).toEqual([]);
  });
});

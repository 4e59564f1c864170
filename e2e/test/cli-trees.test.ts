// Trees with the built `dfs` against a real node: 2,000 files put -r and got back byte-identical,
// a second put -r that sends nothing, and sync both ways twice (the second time moves nothing).
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDfs, startNode, type RunningNode } from './cli-helpers.js';

const FILES = 2000;

let node: RunningNode;
let work: string;
let env: Record<string, string>;

/** Every file under `root` as relative path → sha256. */
async function digest(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function visit(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await visit(path);
      else {
        const hash = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
        out.set(relative(root, path), hash);
      }
    }
  }
  await visit(root);
  return out;
}

/** PUT requests the node served, from its metrics. */
async function putCount(): Promise<number> {
  const response = await fetch(`http://${node.address}/metrics`);
  const text = await response.text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (/^dfs_http_request_duration_seconds_count\{[^}]*method="PUT"/.test(line)) {
      total += Number(line.split(' ').at(-1));
    }
  }
  return total;
}

beforeAll(async () => {
  node = await startNode();
  work = await mkdtemp(join(tmpdir(), 'dfs-cli-e2e-trees-'));
  env = { DFS_NODE: node.address };
  for (let i = 0; i < FILES; i += 1) {
    const dir = join(work, 'tree', `d${i % 20}`, `e${i % 7}`);
    if (i < 140) await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `f${i}.bin`), randomBytes(i % 50 === 0 ? 70_000 : 1 + (i % 3000)));
  }
}, 120_000);

afterAll(async () => {
  await node?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, 30_000);

describe('dfs trees against a real node', { timeout: 300_000 }, () => {
  it('puts 2,000 files and gets them back byte-identical; a second put -r sends nothing', async () => {
    const put = await runDfs(['-q', 'put', '-r', 'tree', 'big'], {
      cwd: work,
      env,
      timeoutMs: 240_000,
    });
    expect(put.stderr).toBe('');
    expect(put.code).toBe(0);
    expect(put.stdout.toString().trim().split('\n')).toHaveLength(FILES);

    const get = await runDfs(['get', '-r', 'big', 'back'], { cwd: work, env, timeoutMs: 240_000 });
    expect(get.code).toBe(0);
    expect(get.stderr).toContain(`${FILES} saved`);
    expect(await digest(join(work, 'back'))).toEqual(await digest(join(work, 'tree')));

    const before = await putCount();
    // The metric counts the uploads (so an unchanged count below means nothing was sent).
    expect(before).toBeGreaterThanOrEqual(FILES);
    const again = await runDfs(['put', '-r', 'tree', 'big'], {
      cwd: work,
      env,
      timeoutMs: 240_000,
    });
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`0 uploaded (0 B); ${FILES} unchanged`);
    expect(await putCount()).toBe(before);
  });

  it('syncs both ways, and the second sync transfers nothing', async () => {
    const up = await runDfs(['sync', 'tree/d1', 'dfs:mirror'], {
      cwd: work,
      env,
      timeoutMs: 120_000,
    });
    expect(up.code).toBe(0);
    expect(up.stderr).toMatch(/^100 uploaded/);
    const before = await putCount();
    const upAgain = await runDfs(['sync', 'tree/d1', 'dfs:mirror'], { cwd: work, env });
    expect(upAgain.stderr).toBe('0 uploaded (0 B); 100 unchanged\n');
    expect(await putCount()).toBe(before);

    const down = await runDfs(['sync', 'dfs:mirror', 'local'], {
      cwd: work,
      env,
      timeoutMs: 120_000,
    });
    expect(down.code).toBe(0);
    expect(await digest(join(work, 'local'))).toEqual(await digest(join(work, 'tree/d1')));
    const downAgain = await runDfs(['sync', 'dfs:mirror', 'local', '--delete'], { cwd: work, env });
    expect(downAgain.stderr).toBe('0 downloaded (0 B); 100 unchanged\n');

    const removed = await runDfs(['rm', '-r', 'mirror', '--yes', '-q'], { cwd: work, env });
    expect(removed.code).toBe(0);
    const listed = await runDfs(['ls', 'mirror/', '--json'], { cwd: work, env });
    expect(JSON.parse(listed.stdout.toString())).toEqual([]);
  });
});

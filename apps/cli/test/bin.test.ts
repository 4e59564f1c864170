// Runs the built bin (dist/main.js) as a child process: what a user's shell runs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { closedPort } from './harness.js';

const bin = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 20_000,
  });
}

describe('the dfs bin', () => {
  it('prints its version and exits 0', () => {
    const result = run(['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 2 with help on stderr when given nothing', () => {
    const result = run([]);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: dfs');
  });

  it('exits 1 without a stack trace when no node answers, and shows one under DEBUG', async () => {
    const node = `127.0.0.1:${await closedPort()}`;
    const plain = run(['ls'], { DFS_NODE: node });
    expect(plain.status).toBe(1);
    expect(plain.stderr).toBe(`dfs: no node at ${node} — is it running? set --node or DFS_NODE\n`);
    const debug = run(['ls'], { DFS_NODE: node, DEBUG: '1' });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

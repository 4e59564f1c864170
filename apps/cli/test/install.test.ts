// scripts/install-cli.sh in a throwaway HOME: the shim it writes runs the built dfs from anywhere.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/install-cli.sh', import.meta.url));
const main = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let home: string;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'dfs-install-home-'));
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** PATH without any earlier dfs shim, but with node. */
const basePath = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => !dir.endsWith('.local/bin'))
  .join(':');

describe('scripts/install-cli.sh', () => {
  it('writes ~/.local/bin/dfs, which runs the built CLI from any directory', async () => {
    const env = { HOME: home, PATH: basePath };
    const install = spawnSync('bash', [script, '--no-build'], { encoding: 'utf8', env });
    expect(install.stderr).toBe('');
    expect(install.status).toBe(0);
    const shim = join(home, '.local/bin/dfs');
    expect(install.stdout).toContain(`installed ${shim}`);
    expect(install.stdout).toContain('is not on your PATH');
    expect((await stat(shim)).mode & 0o111).not.toBe(0);
    expect(await readFile(shim, 'utf8')).toContain(main);

    const run = spawnSync('dfs', ['--version'], {
      encoding: 'utf8',
      cwd: home,
      env: { HOME: home, PATH: `${join(home, '.local/bin')}:${basePath}` },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('honours DFS_BIN_DIR and refuses unknown arguments', () => {
    const bin = join(home, 'bin');
    const env = { HOME: home, PATH: `${bin}:${basePath}`, DFS_BIN_DIR: bin };
    const install = spawnSync('bash', [script, '--no-build'], { encoding: 'utf8', env });
    expect(install.status).toBe(0);
    expect(install.stdout).not.toContain('not on your PATH');
    expect(spawnSync('bash', [script, '--frob'], { encoding: 'utf8', env }).status).toBe(2);
  });
});

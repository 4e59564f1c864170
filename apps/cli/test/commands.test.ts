import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeDfsServer, type FakeDfsServer } from '@dfs/client/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closedPort, dfs, type RunOptions } from './harness.js';

const sha = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex');
const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31 + 7) % 256));

let server: FakeDfsServer;
let dir: string;
let base: RunOptions;

beforeEach(async () => {
  server = await startFakeDfsServer();
  dir = await mkdtemp(join(tmpdir(), 'dfs-cli-'));
  base = { cwd: dir, env: { DFS_NODE: server.address } };
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('put and get', () => {
  it('round-trips a binary file under its base name, relative to the user directory', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub/data.bin'), binary);
    const put = await dfs(['put', 'sub/data.bin'], base);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    expect(put.stdout).toBe(`data.bin  68 KiB  sha256:${sha(binary)}\n`);
    expect(server.files.get('data.bin')?.body.equals(binary)).toBe(true);

    await mkdir(join(dir, 'out'));
    const get = await dfs(['get', 'data.bin'], { ...base, cwd: join(dir, 'out') });
    expect(get.code).toBe(0);
    expect(get.stdout).toBe('');
    expect(get.stderr).toContain('saved data.bin');
    expect((await readFile(join(dir, 'out/data.bin'))).equals(binary)).toBe(true);
    expect(await readdir(join(dir, 'out'))).toEqual(['data.bin']);
  });

  it('puts under a given name and gets into a given path or directory', async () => {
    await writeFile(join(dir, 'a.txt'), 'alpha');
    expect((await dfs(['put', 'a.txt', 'docs/x y.txt'], base)).code).toBe(0);
    expect(server.files.has('docs/x y.txt')).toBe(true);
    expect((await dfs(['get', 'docs/x y.txt', 'copy.txt'], base)).code).toBe(0);
    expect(await readFile(join(dir, 'copy.txt'), 'utf8')).toBe('alpha');
    await mkdir(join(dir, 'into'));
    expect((await dfs(['get', 'docs/x y.txt', 'into'], base)).code).toBe(0);
    expect(await readFile(join(dir, 'into/x y.txt'), 'utf8')).toBe('alpha');
  });

  it('resolves paths against INIT_CWD when pnpm runs it as the root script', async () => {
    const repo = join(dir, 'repo');
    const user = join(dir, 'user');
    await mkdir(repo);
    await mkdir(user);
    await writeFile(join(user, 'mine.txt'), 'from the user directory');
    const env = {
      DFS_NODE: server.address,
      INIT_CWD: user,
      npm_package_json: join(repo, 'package.json'),
    };
    expect((await dfs(['put', 'mine.txt'], { cwd: repo, env })).code).toBe(0);
    expect((await dfs(['get', 'mine.txt', 'back.txt'], { cwd: repo, env })).code).toBe(0);
    expect(await readFile(join(user, 'back.txt'), 'utf8')).toBe('from the user directory');
    expect(await readdir(repo)).toEqual([]);
  });

  it('uploads an empty file', async () => {
    await writeFile(join(dir, 'empty'), '');
    expect((await dfs(['put', 'empty'], base)).code).toBe(0);
    expect(server.files.get('empty')?.body.length).toBe(0);
  });

  it('reads stdin with - and writes stdout with -, bytes untouched', async () => {
    const put = await dfs(['put', '-', 'piped.bin'], { ...base, stdin: binary });
    expect(put.code).toBe(0);
    const get = await dfs(['get', 'piped.bin', '-'], base);
    expect(get).toMatchObject({ code: 0, stderr: '' });
    expect(get.stdoutBytes.equals(binary)).toBe(true);
  });

  it('refuses to overwrite a local file without --force, and overwrites with it', async () => {
    await writeFile(join(dir, 'a.txt'), 'new');
    await dfs(['put', 'a.txt'], base);
    await writeFile(join(dir, 'a.txt'), 'old');
    const refused = await dfs(['get', 'a.txt'], base);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/a\.txt already exists — use --force to overwrite/);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('old');
    expect((await dfs(['get', 'a.txt', '--force'], base)).code).toBe(0);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('new');
  });

  it('uploads a tree with -r keeping relative names under the directory name or a prefix', async () => {
    await mkdir(join(dir, 'site/css'), { recursive: true });
    await writeFile(join(dir, 'site/index.html'), '<h1>');
    await writeFile(join(dir, 'site/css/main.css'), 'body{}');
    const put = await dfs(['put', '-r', 'site', '--json'], base);
    expect(put.code).toBe(0);
    const results = JSON.parse(put.stdout) as { name: string }[];
    expect(results.map((r) => r.name)).toEqual(['site/css/main.css', 'site/index.html']);
    expect((await dfs(['put', 'site', 'www/', '--recursive'], base)).code).toBe(0);
    expect([...server.files.keys()].sort()).toEqual([
      'site/css/main.css',
      'site/index.html',
      'www/css/main.css',
      'www/index.html',
    ]);
  });

  it('passes --wait as w and explains a 504', async () => {
    await writeFile(join(dir, 'a.txt'), 'x');
    expect((await dfs(['put', 'a.txt', '--wait', '1'], base)).code).toBe(0);
    expect(server.requests.at(-1)?.url).toBe('/v1/files/a.txt?w=1');
    const short = await dfs(['put', 'a.txt', '-w', '3'], base);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('"a.txt" is stored, but fewer than 3 nodes confirmed it');
  });
});

describe('listing and metadata', () => {
  beforeEach(async () => {
    await writeFile(join(dir, 'f'), 'twelve bytes');
    for (const name of ['docs/a.txt', 'docs/b.txt', 'img/c.png']) {
      await dfs(['put', 'f', name], base);
    }
  });

  it('lists a table with sizes and ages, with a summary on stderr', async () => {
    const ls = await dfs(['ls', 'docs/'], { ...base, now: Date.now() + 3 * 60_000 });
    expect(ls.code).toBe(0);
    expect(ls.stdout).toBe(
      'NAME        SIZE  MODIFIED\ndocs/a.txt  12 B  3m ago\ndocs/b.txt  12 B  3m ago\n',
    );
    expect(ls.stderr).toBe('2 files, 24 B\n');
  });

  it('lists JSON that parses, names only, and at most --limit entries', async () => {
    const json = await dfs(['ls', '--json'], base);
    const files = JSON.parse(json.stdout) as { name: string; size: number; sha256: string }[];
    expect(files.map((f) => f.name)).toEqual(['docs/a.txt', 'docs/b.txt', 'img/c.png']);
    expect(files[0]).toMatchObject({ size: 12, sha256: sha('twelve bytes') });
    expect((await dfs(['ls', '--names', 'img/'], base)).stdout).toBe('img/c.png\n');
    expect((await dfs(['ls', '--names', '--limit', '2', '-r'], base)).stdout).toBe(
      'docs/a.txt\ndocs/b.txt\n',
    );
    // Without -r, one level at a time: folders end with "/".
    expect((await dfs(['ls', '--names'], base)).stdout).toBe('docs/\nimg/\n');
  });

  it('says there is nothing on stderr when a prefix matches nothing', async () => {
    expect(await dfs(['ls', 'none/'], base)).toMatchObject({
      code: 0,
      stdout: '',
      stderr: 'no files under "none/"\n',
    });
  });

  it('shows stat as fields or JSON, and a missing file as exit 1', async () => {
    const human = await dfs(['stat', 'docs/a.txt'], base);
    expect(human.stdout).toContain(`sha256    ${sha('twelve bytes')}`);
    expect(human.stdout).toContain('size      12 B (12 bytes)');
    // The holders are named, not only counted.
    expect(human.stdout).toContain('holders   1: fake-node');
    const json = JSON.parse((await dfs(['stat', 'docs/a.txt', '--json'], base)).stdout) as {
      size: number;
    };
    expect(json.size).toBe(12);
    const missing = await dfs(['stat', 'nope'], base);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('dfs: no file named "nope" on the cluster — see dfs ls\n');
  });

  it('removes files, then reports them missing', async () => {
    const removed = await dfs(['rm', 'docs/a.txt', 'docs/b.txt'], base);
    expect(removed).toMatchObject({ code: 0, stdout: '' });
    // Deleted in parallel: one line each, in the order they finished.
    expect(removed.stderr.split('\n').sort()).toEqual([
      '',
      'removed docs/a.txt',
      'removed docs/b.txt',
    ]);
    expect((await dfs(['rm', 'docs/a.txt', '-q'], base)).code).toBe(1);
    expect((await dfs(['rm', 'img/c.png', '--quiet'], base)).stderr).toBe('');
  });
});

describe('cluster commands', () => {
  it('lists members with the answering node marked, or as JSON', async () => {
    const members = await dfs(['members'], base);
    expect(members.code).toBe(0);
    expect(members.stdout).toMatch(
      /^\s+ID\s+ADDRESS\s+STATE\s+INCARNATION\s+LAST SEEN\n\*\s+fake-node/,
    );
    const view = JSON.parse((await dfs(['members', '--json'], base)).stdout) as {
      self: { id: string; addr: string };
      members: unknown[];
    };
    // The same shape as GET /v1/cluster: self is the answering node's member object.
    expect(view.self).toMatchObject({ id: 'fake-node', addr: server.address });
    expect(view.members).toHaveLength(1);
  });

  it('reports health, exiting 1 while the node is not serving', async () => {
    const ok = await dfs(['health'], base);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(
      /^ok\s+node=127\.0\.0\.1:\d+\s+id=fake-node\s+members=1\s+files=0\n$/,
    );
    server.setStatus('starting');
    const starting = await dfs(['health', '--json'], base);
    expect(starting.code).toBe(1);
    expect(JSON.parse(starting.stdout)).toMatchObject({ ok: false, status: 'starting' });
  });
});

describe('tokens and nodes', () => {
  it('sends the token from --token or DFS_API_TOKEN and explains a refusal', async () => {
    const guarded = await startFakeDfsServer({ token: 'tok' });
    try {
      const env = { DFS_NODE: guarded.address };
      const refused = await dfs(['ls'], { cwd: dir, env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('missing or wrong API token — set --token or DFS_API_TOKEN');
      expect((await dfs(['ls', '--token', 'tok'], { cwd: dir, env })).code).toBe(0);
      expect((await dfs(['ls'], { cwd: dir, env: { ...env, DFS_API_TOKEN: 'tok' } })).code).toBe(0);
    } finally {
      await guarded.close();
    }
  });

  it('says which node is unreachable and how to fix it', async () => {
    const dead = `127.0.0.1:${await closedPort()}`;
    const run = await dfs(['--node', dead, 'ls'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`dfs: no node at ${dead} — is it running? set --node or DFS_NODE\n`);
  });

  it('falls over to the next node in a comma-separated list', async () => {
    const dead = `127.0.0.1:${await closedPort()}`;
    const run = await dfs(['health', '--node', `${dead},${server.address}`], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`node=${server.address} `);
  });
});

describe('usage errors exit 2', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['put'], /missing required argument 'file'/],
    [['put', '-'], /reading stdin needs a name: dfs put - <name>/],
    [['put', '-', '/abs'], /bad name "\/abs"/],
    [['get', 'a/../b'], /bad name/],
    [['put', '.', 'x'], /is a directory — use dfs put -r/],
    [['put', 'x', '--wait', '0'], /expected a positive integer/],
    [['ls', '--limit', 'many'], /expected a positive integer/],
    [['completion', 'tcsh'], /choose bash, zsh or fish/],
    [['--node', 'ftp://x', 'ls'], /only http and https/],
    [['--frobnicate'], /unknown option/],
  ])('dfs %j', async (argv, message) => {
    const run = await dfs(argv, base);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('points at the help of the command that was misused', async () => {
    expect((await dfs(['put'], base)).stderr).toContain('Run dfs put --help for usage.');
    expect((await dfs(['nope'], base)).stderr).toContain('Run dfs --help for usage.');
  });

  it('a missing local file is a failure (1) that names the directory looked in', async () => {
    const run = await dfs(['put', 'nope.txt'], base);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`dfs: no such file: nope.txt (looked in ${dir})\n`);
  });

  it('help and version succeed on stdout', async () => {
    const help = await dfs(['--help'], base);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    expect(help.stdout).toContain('dfs get photo.jpg - | sha256sum');
    expect((await dfs(['--version'], base)).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await dfs(['get', '--help'], base)).stdout).toContain('--force');
  });
});

describe('interruption', () => {
  it('Ctrl-C during a download to a file or stdout exits 130 and leaves no partial file', async () => {
    let started!: () => void;
    let sending = new Promise<void>((resolve) => (started = resolve));
    const stalling = await startFakeDfsServer({
      intercept: (req, res) => {
        if (req.method !== 'GET') return false;
        res.writeHead(200, { 'content-length': 100_000, etag: `"${'a'.repeat(64)}"` });
        res.write(Buffer.alloc(1000), () => started());
        return true; // never ends: the transfer is stuck until the user gives up
      },
    });
    try {
      for (const target of ['stuck.bin', '-']) {
        const controller = new AbortController();
        const run = dfs(['get', 'stuck.bin', target], {
          cwd: dir,
          env: { DFS_NODE: stalling.address },
          signal: controller.signal,
        });
        await sending;
        sending = new Promise<void>((resolve) => (started = resolve));
        controller.abort();
        const result = await run;
        expect(result.code, target).toBe(130);
        expect(result.stderr).toBe('dfs: interrupted; nothing was left half-written\n');
        expect(await readdir(dir)).toEqual([]);
      }
    } finally {
      await stalling.close();
    }
  });
});

describe('progress and completion', () => {
  it('draws progress on stderr only when it is a terminal, never on stdout', async () => {
    await writeFile(join(dir, 'big.bin'), binary);
    const tty = await dfs(['put', 'big.bin'], { ...base, stderrIsTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/big\.bin \[.*\] \d+% \| .* \| .*\/s \| ETA/);
    expect(tty.stdout).toBe(`big.bin  68 KiB  sha256:${sha(binary)}\n`);
    const quiet = await dfs(['put', 'big.bin', '--quiet'], { ...base, stderrIsTTY: true });
    expect(quiet.stderr).toBe('');
    const piped = await dfs(['get', 'big.bin', '-'], { ...base, stderrIsTTY: false });
    expect(piped.stderr).toBe('');
  });

  it('prints completion scripts for bash, zsh and fish', async () => {
    const bash = await dfs(['completion', 'bash'], base);
    expect(bash.stdout).toContain('complete -o default -F _dfs_complete dfs');
    const zsh = await dfs(['completion', 'zsh'], base);
    expect(zsh.stdout).toMatch(/^#compdef dfs/);
    const fish = await dfs(['completion', 'fish'], base);
    expect(fish.stdout).toContain('complete -c dfs');
    expect(fish.stdout).toContain('sync');
  });

  it('completes commands and flags in bash', async () => {
    const script = (await dfs(['completion', 'bash'], base)).stdout;
    const complete = (words: string[]) =>
      spawnSync(
        'bash',
        [
          '-c',
          `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _dfs_complete; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      );
    const commands = complete(['dfs', 'sy']);
    expect(commands.stderr).toBe('');
    expect(commands.stdout).toBe('sync\n');
    expect(complete(['dfs', 'sync', '--d']).stdout).toBe('--delete\n--dry-run\n');
    expect(complete(['dfs', 'rm', '--y']).stdout).toBe('--yes\n');
  });
});

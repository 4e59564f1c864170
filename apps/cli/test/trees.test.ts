// Trees both ways, against the fake node: put -r / get -r / rm -r / ls folders / sync, the hints
// that name the fix, parallel transfers that carry on past a failure, and the exit codes.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uploadPath } from '@dfs/api';
import { startFakeDfsServer, type FakeDfsServer } from '@dfs/client/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dfs, type RunOptions } from './harness.js';
import { uploadStateDirectory, uploadStatePath, writeUploadState } from '../src/upload-state.js';

let server: FakeDfsServer;
let dir: string;
let base: RunOptions;

/** A small tree: site/index.html, site/css/a.css, site/img/日本.png, site/empty.txt */
const TREE: Record<string, string> = {
  'index.html': '<h1>hi</h1>',
  'css/a.css': 'body{}',
  'img/日本.png': 'png bytes here',
  'empty.txt': '',
};

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, body] of Object.entries(files)) {
    await mkdir(join(root, rel, '..'), { recursive: true });
    await writeFile(join(root, rel), body);
  }
}

async function readTree(root: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) Object.assign(out, await readTree(join(root, entry.name), rel));
    else out[rel] = await readFile(join(root, entry.name), 'utf8');
  }
  return out;
}

const puts = () => server.requests.filter((r) => r.method === 'PUT').length;
const deletes = () => server.requests.filter((r) => r.method === 'DELETE').length;

beforeEach(async () => {
  server = await startFakeDfsServer();
  dir = await mkdtemp(join(tmpdir(), 'dfs-cli-trees-'));
  base = { cwd: dir, env: { DFS_NODE: server.address } };
  await writeTree(join(dir, 'site'), TREE);
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('put -r and get -r', () => {
  it('round-trips a tree, and a second put -r uploads nothing', async () => {
    const put = await dfs(['put', '-r', 'site', 'www', '--transfers', '3'], base);
    expect(put.code).toBe(0);
    expect([...server.files.keys()].sort()).toEqual(
      ['www/css/a.css', 'www/empty.txt', 'www/img/日本.png', 'www/index.html'].sort(),
    );
    // One result line per file on stdout, in the order they landed.
    expect(put.stdout.trim().split('\n').sort()).toHaveLength(4);
    expect(put.stderr).toMatch(/^4 uploaded \(\d+ B\)/);

    const again = await dfs(['put', '-r', 'site', 'www'], base);
    expect(again).toMatchObject({ code: 0, stdout: '' });
    expect(again.stderr).toMatch(/^0 uploaded \(0 B\); 4 unchanged\n$/);
    expect(puts()).toBe(4);

    // --force sends everything again.
    expect((await dfs(['put', '-r', '-f', 'site', 'www', '-q'], base)).code).toBe(0);
    expect(puts()).toBe(8);

    const get = await dfs(['get', '-r', 'www', 'copy'], base);
    expect(get.code).toBe(0);
    expect(get.stderr).toContain('4 saved');
    expect(await readTree(join(dir, 'copy'))).toEqual(TREE);
    // Again: every file matches, nothing is fetched.
    const gets = server.requests.filter((r) => r.method === 'GET').length;
    const twice = await dfs(['get', '-r', 'www/', 'copy'], base);
    expect(twice.stderr).toMatch(/^0 saved \(0 B\); 4 unchanged/);
    // One list request, no downloads.
    expect(server.requests.filter((r) => r.method === 'GET').length - gets).toBe(1);
  });

  it('gets a folder into ./<folder> by default and keeps local changes without --force', async () => {
    await dfs(['put', '-r', 'site', 'www'], base);
    await mkdir(join(dir, 'out'));
    const into = { ...base, cwd: join(dir, 'out') };
    expect((await dfs(['get', '-r', 'www'], into)).code).toBe(0);
    expect(await readTree(join(dir, 'out/www'))).toEqual(TREE);
    await writeFile(join(dir, 'out/www/index.html'), 'changed here');
    const refused = await dfs(['get', '-r', 'www'], into);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('already exists and differs — use --force to overwrite');
    expect(await readFile(join(dir, 'out/www/index.html'), 'utf8')).toBe('changed here');
    expect((await dfs(['get', '-r', 'www', '--force'], into)).code).toBe(0);
    expect(await readFile(join(dir, 'out/www/index.html'), 'utf8')).toBe(TREE['index.html']);
  });

  it('names the fix when a file name is really a folder', async () => {
    await dfs(['put', '-r', 'site', 'tree'], base);
    const plain = await dfs(['get', 'tree'], base);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      'dfs: no file named "tree", but "tree/" is a folder holding 4 files — use dfs get -r tree/\n',
    );
    const slash = await dfs(['get', 'tree/'], base);
    expect(slash.code).toBe(2);
    expect(slash.stderr).toBe('dfs: "tree/" is a folder holding 4 files — use dfs get -r tree/\n');
    const remove = await dfs(['rm', 'tree'], base);
    expect(remove.stderr).toContain('use dfs rm -r tree/');
    expect((await dfs(['stat', 'tree'], base)).stderr).toContain('use dfs ls tree/');
    // Nothing under the name either: the plain message.
    expect((await dfs(['get', 'nothing'], base)).stderr).toBe(
      'dfs: no file named "nothing" on the cluster — see dfs ls\n',
    );
    // A local directory in the way of a real file: the message says what to do.
    await mkdir(join(dir, 'x'));
    await writeFile(join(dir, 'f'), 'f');
    await dfs(['put', 'f', 'x'], base);
    const blocked = await dfs(['get', 'x'], base);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('is a directory — name the file to write: dfs get x <path>');
  });

  it('refuses a target directory that is a file', async () => {
    await dfs(['put', '-r', 'site', 'www'], base);
    const run = await dfs(['get', '-r', 'www', 'site/index.html'], base);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`dfs: ${join(dir, 'site/index.html')} is a file, not a directory\n`);
  });

  it('carries on past a failed file and exits 1', async () => {
    await server.close();
    server = await startFakeDfsServer({ maxFileSize: 12 });
    base = { cwd: dir, env: { DFS_NODE: server.address } };
    const put = await dfs(['put', '-r', 'site', 'www'], base);
    expect(put.code).toBe(1);
    // index.html (11 B), a.css, empty.txt fit; the 14-byte png does not.
    expect([...server.files.keys()].sort()).toEqual([
      'www/css/a.css',
      'www/empty.txt',
      'www/index.html',
    ]);
    expect(put.stderr).toContain('dfs: www/img/日本.png:');
    expect(put.stderr).toContain('3 uploaded');
    expect(put.stderr).toContain('1 failed');
    expect(put.stderr).toContain('dfs: 1 of 4 files failed (see above)');
  });

  it('bounds --transfers', async () => {
    for (const bad of ['0', '257', 'x']) {
      const run = await dfs(['put', '-r', 'site', '--transfers', bad], base);
      expect(run.code).toBe(2);
    }
    expect(puts()).toBe(0);
  });

  it('says when --resume is not possible', async () => {
    const stdin = await dfs(['put', '-', 'x', '--resume'], { ...base, stdin: 'abc' });
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain('--resume needs a file');
  });

  it('sends --resume uploads through a session and continues one an earlier run recorded', async () => {
    const env = { DFS_NODE: server.address, XDG_STATE_HOME: join(dir, 'state') };
    const plain = await dfs(['put', 'site/index.html', 'one.html', '--resume'], { ...base, env });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^one\.html {2}11 B {2}sha256:/);
    expect(
      server.requests.some((r) => r.method === 'POST' && r.url.startsWith('/v1/uploads')),
    ).toBe(true);

    // An interrupted run: a session holding the first 600 of 1,000 bytes, recorded on disk.
    const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const path = join(dir, 'big.bin');
    await writeFile(path, body);
    const digest = createHash('sha256').update(body).digest('hex');
    const created = await fetch(
      `${server.url}/v1/uploads?name=big.bin&size=1000&sha256=${digest}`,
      { method: 'POST' },
    );
    const session = (await created.json()) as { id: string };
    await fetch(`${server.url}${uploadPath(session.id)}?offset=0`, {
      method: 'PUT',
      body: body.subarray(0, 600),
    });
    const record = uploadStatePath(uploadStateDirectory(env), {
      nodes: [server.address],
      name: 'big.bin',
      path,
      size: 1000,
      mtimeMs: (await stat(path)).mtimeMs,
    });
    await writeUploadState(record, { node: server.url, id: session.id });

    const resumed = await dfs(['put', 'big.bin', '--resume'], { ...base, env });
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain('resuming big.bin');
    expect(server.files.get('big.bin')?.body.equals(body)).toBe(true);
    // Only the 400 bytes the node lacked were sent again.
    const chunks = server.requests.filter(
      (r) => r.method === 'PUT' && r.url.startsWith(uploadPath(session.id)),
    );
    expect(chunks.map((r) => r.contentLength)).toEqual(['600', '400']);
    expect(await readdir(join(dir, 'state/dfs/uploads'))).toEqual([]);
  });

  it('keeps put result lines on stdout under --quiet', async () => {
    const put = await dfs(['put', 'site/index.html', '--quiet'], base);
    expect(put.stdout).toMatch(/^index\.html {2}11 B {2}sha256:[0-9a-f]{64}\n$/);
    expect(put.stderr).toBe('');
  });
});

describe('progress and interruption', () => {
  it('draws one bar with files and bytes on a terminal stderr, result lines on stdout', async () => {
    const put = await dfs(['put', '-r', 'site', 'www', '-t', '2'], { ...base, stderrIsTTY: true });
    expect(put.code).toBe(0);
    expect(put.stderr).toMatch(/uploading \[.*\] \d\/4 files \| .* \| .*\/s \| ETA/);
    const lines = put.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    // No cursor codes leak into the data on stdout.
    for (const line of lines) expect(line).toMatch(/^www\/\S+ {2}\d+ B {2}sha256:[0-9a-f]{64}$/);
  });

  it('stops starting files once interrupted, and exits 130', async () => {
    const controller = new AbortController();
    await server.close();
    server = await startFakeDfsServer({
      intercept: (req) => {
        // The first upload to arrive interrupts the run (as Ctrl-C would).
        if (req.method === 'PUT') controller.abort(new Error('SIGINT received'));
        return false;
      },
    });
    base = { cwd: dir, env: { DFS_NODE: server.address } };
    const put = await dfs(['put', '-r', 'site', 'www', '-t', '1'], {
      ...base,
      signal: controller.signal,
    });
    expect(put.code).toBe(130);
    expect(put.stderr).toContain('interrupted');
    expect(puts()).toBe(1);
  });
});

describe('rm -r', () => {
  it('asks first, refuses without a terminal, and deletes the count it showed', async () => {
    await dfs(['put', '-r', 'site', 'www'], base);
    await dfs(['put', 'site/index.html', 'keep.html'], base);
    const refused = await dfs(['rm', '-r', 'www'], base);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not deleting 4 files (');
    expect(refused.stderr).toContain('— pass --yes');
    const declined = await dfs(['rm', '-r', 'www'], { ...base, stdin: 'n\n', stdinIsTTY: true });
    expect(declined.code).toBe(1);
    expect(declined.stderr).toContain('Delete 4 files');
    expect(deletes()).toBe(0);
    const yes = await dfs(['rm', '-r', 'www/', '--yes'], base);
    expect(yes.code).toBe(0);
    expect([...server.files.keys()]).toEqual(['keep.html']);
    expect(deletes()).toBe(4);
    expect((await dfs(['rm', '-r', 'www', '--yes'], base)).code).toBe(1);
  });
});

describe('ls', () => {
  it('shows one level with folders, or every file with -r', async () => {
    await dfs(['put', '-r', 'site', 'www'], base);
    await dfs(['put', 'site/index.html', 'top.html'], base);
    const top = await dfs(['ls', '--names'], base);
    // Folders first (like aws s3 ls), then files.
    expect(top.stdout).toBe('www/\ntop.html\n');
    const www = await dfs(['ls', 'www/'], base);
    expect(www.stdout).toMatch(/^NAME\s+SIZE\s+FILES\s+MODIFIED\nwww\/css\/\s+6 B\s+1\s/);
    expect(www.stdout).toContain('www/index.html');
    expect(www.stderr).toContain('4 files');
    const all = await dfs(['ls', '-r', '--names'], base);
    expect(all.stdout.trim().split('\n')).toHaveLength(5);
  });
});

describe('sync', () => {
  it('mirrors local → cluster, transfers nothing the second time, and --delete removes', async () => {
    const first = await dfs(['sync', 'site', 'dfs:www'], base);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/^4 uploaded/);
    const second = await dfs(['sync', 'site', 'dfs:www'], base);
    expect(second.stderr).toMatch(/^0 uploaded \(0 B\); 4 unchanged\n$/);
    expect(puts()).toBe(4);

    await writeFile(join(dir, 'site/index.html'), '<h1>changed</h1>');
    await unlink(join(dir, 'site/css/a.css'));
    const plan = await dfs(['sync', 'site', 'dfs:www', '--delete', '--dry-run'], base);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toBe('upload  www/index.html  (16 B)\ndelete  www/css/a.css\n');
    expect(puts()).toBe(4);
    expect(server.files.has('www/css/a.css')).toBe(true);

    const apply = await dfs(['sync', 'site', 'dfs:www', '--delete'], base);
    expect(apply.code).toBe(0);
    expect(server.files.has('www/css/a.css')).toBe(false);
    expect(server.files.get('www/index.html')?.body.toString()).toBe('<h1>changed</h1>');
  });

  it('mirrors cluster → local, with --delete for local extras', async () => {
    await dfs(['sync', 'site', 'dfs:www'], base);
    await writeTree(join(dir, 'mirror'), { 'extra.txt': 'only here', 'index.html': 'old' });
    const plan = await dfs(['sync', 'dfs:www', 'mirror', '--delete', '-n', '--json'], base);
    const parsed = JSON.parse(plan.stdout) as {
      dryRun: boolean;
      copied: string[];
      deleted: string[];
    };
    expect(parsed.dryRun).toBe(true);
    expect(parsed.copied).toHaveLength(4);
    expect(parsed.deleted).toEqual([join(dir, 'mirror/extra.txt')]);
    const apply = await dfs(['sync', 'dfs:www', 'mirror', '--delete'], base);
    expect(apply.code).toBe(0);
    expect(await readTree(join(dir, 'mirror'))).toEqual(TREE);
    const again = await dfs(['sync', 'dfs:www/', 'mirror', '--delete'], base);
    expect(again.stderr).toMatch(/^0 downloaded \(0 B\); 4 unchanged\n$/);
  });

  it('needs one cluster side and refuses to mirror an empty source with --delete', async () => {
    expect((await dfs(['sync', 'site', 'other'], base)).code).toBe(2);
    expect((await dfs(['sync', 'dfs:a', 'dfs:b'], base)).code).toBe(2);
    const empty = await dfs(['sync', 'dfs:nothing', 'site', '--delete'], base);
    expect(empty.code).toBe(1);
    expect(await readTree(join(dir, 'site'))).toEqual(TREE);
  });
});

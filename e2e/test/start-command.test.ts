import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, expect, it } from 'vitest';
import {
  Cluster,
  eventually,
  freePort,
  nodeMain,
  repoRoot,
  type NodeProcess,
} from '../src/node-process.js';

const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
afterAll(() => cluster.close());

it.each([
  [['not-an-address'], /not host:port/],
  [[], /missing required argument/],
  [['127.0.0.1:4001', '--fanout', 'lots'], /fanout/],
  [['127.0.0.1:4001', '--no-such-option'], /unknown option/],
])('bad arguments %j: one line on stderr, exit 2, no stack trace', (args, message) => {
  const result = spawnSync(process.execPath, [nodeMain, ...args], { encoding: 'utf8' });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(message);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
});

it('refuses to start with --api-token but no --secret (the peer port would serve anyone): one line, exit 2', async () => {
  const port = await freePort();
  const args = [nodeMain, `127.0.0.1:${port}`, '--data', await cluster.dataDir()];
  const refused = spawnSync(process.execPath, [...args, '--api-token', 't'], {
    encoding: 'utf8',
    timeout: 15_000, // a node that starts instead of refusing would run until killed
  });
  expect(refused.status).toBe(2);
  expect(refused.stderr).toMatch(/--api-token.*--secret.*--insecure-peers/);
  expect(refused.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(refused.stdout).toBe('');
  // The explicit flag starts it, with a warning in the log.
  const node = await cluster.start({ flags: ['--api-token', 't', '--insecure-peers'] });
  expect((await fetch(`${node.url}/v1/health`)).status).toBe(200);
  await eventually(async () => (/--insecure-peers/.test(node.stderr) ? true : undefined), {
    what: 'the --insecure-peers warning in the log',
  });
});

it('a port already in use is one clear line, and leaves no fresh data directory behind', async () => {
  const first = await cluster.start();
  const fresh = path.join(await cluster.dataDir(), 'not-yet');
  const result = spawnSync(process.execPath, [nodeMain, first.address, '--data', fresh], {
    encoding: 'utf8',
  });
  expect(result.status).toBe(1);
  expect(result.stderr.trimEnd().split('\n')).toEqual([
    `dfs-node: could not start: ${first.address} is already in use (another dfs-node or program listens there); choose another port`,
  ]);
  expect(existsSync(fresh)).toBe(false);
  expect(result.stdout).toBe('');
});

it('warns once when no seed answers, keeps trying, and says so when a seed comes up', async () => {
  const seedPort = await freePort();
  const node = await cluster.start({ peers: [`127.0.0.1:${seedPort}`] });
  await eventually(async () => (/no seed answered within/.test(node.stderr) ? true : undefined), {
    what: 'the no-seed warning',
    timeoutMs: 20_000,
  });
  expect(node.stderr).toContain(`127.0.0.1:${seedPort}`);
  expect(node.stderr).toContain('still trying to join');
  const seed = await cluster.start({ port: seedPort });
  await eventually(async () => (/a seed answered: joined/.test(node.stderr) ? true : undefined), {
    what: 'the joined line once the seed is up',
    timeoutMs: 20_000,
  });
  expect(node.stderr.match(/no seed answered within/g)).toHaveLength(1);
  expect(seed.stderr).not.toMatch(/no seed answered/);
});

it('warns when it advertises an address no peer can dial (0.0.0.0 without --advertise)', async () => {
  const exposed = await cluster.start({ listenHost: '0.0.0.0' });
  // Logged before the ready line, so it is there once the node is ready.
  expect(exposed.stderr).toMatch(
    new RegExp(
      `peers are told to dial 0\\.0\\.0\\.0:${exposed.spec.port}, which no other machine can reach; start with --advertise`,
    ),
  );
  const port = await freePort();
  const advertised = await cluster.start({
    port,
    listenHost: '0.0.0.0',
    flags: ['--advertise', `127.0.0.1:${port}`],
  });
  expect(advertised.stderr).not.toMatch(/which no other machine can reach/);
});

it('a second node on the same data directory refuses to start', async () => {
  const first = await cluster.start();
  const port = await freePort();
  const result = spawnSync(
    process.execPath,
    [nodeMain, `127.0.0.1:${port}`, '--data', first.spec.dataDir],
    { encoding: 'utf8' },
  );
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/in use by another node/);
  expect((await fetch(`${first.url}/v1/health`)).status).toBe(200);
});

it('prints one ready line with id and address; SIGTERM exits 0 and keeps the id', async () => {
  const node = await cluster.start();
  const line = await node.ready();
  expect(line).toMatch(new RegExp(`^ready \\S+ ${node.address.replace(/\./g, '\\.')}`));
  expect(node.stdout.trim().split('\n')).toHaveLength(1);
  const health = await fetch(`${node.url}/v1/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', id: node.id });
  node.kill('SIGTERM');
  expect(await node.exited).toEqual({ code: 0, signal: null });
  const again = await cluster.restart(node);
  expect(again.id).toBe(node.id);
  again.kill('SIGINT');
  expect((await again.exited).code).toBe(0);
});

it('warns at start when the API is reachable beyond loopback without a token', async () => {
  // The ready log line follows the warnings on stderr, so once it is there the warnings are too.
  const readyLogged = (node: NodeProcess) =>
    eventually(async () => (node.stderr.includes('"msg":"ready"') ? true : undefined));
  const open = await cluster.start({ listenHost: '0.0.0.0', flags: ['--log-level', 'info'] });
  await readyLogged(open);
  expect(open.stderr).toMatch(/reachable beyond loopback without a token/);
  const guarded = await cluster.start({
    listenHost: '0.0.0.0',
    flags: ['--log-level', 'info', '--api-token', 't', '--secret', 's'],
  });
  await readyLogged(guarded);
  expect(guarded.stderr).not.toMatch(/beyond loopback/);
});

it('pnpm --filter apps/node start runs the node (relative --data resolved where the user ran it) and Ctrl-C ends it with exit 0', async () => {
  const port = await freePort();
  // Run pnpm from a directory inside the workspace (git-ignored), with a relative --data.
  const cwd = path.join(repoRoot, 'node_modules', '.cache', `dfs-e2e-${port}`);
  await mkdir(cwd, { recursive: true });
  const args = ['--filter', 'apps/node', 'start', '--', `127.0.0.1:${port}`, '--data', 'node-data'];
  const child = spawn('pnpm', [...args, '--log-level', 'warn'], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`not ready in time:\n${stdout}\n${stderr}`)),
        50_000,
      );
      const check = (): void => {
        if (/^ready /m.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on('data', check);
      child.on('exit', () => {
        clearTimeout(timer);
        reject(new Error(`pnpm exited before ready:\n${stdout}\n${stderr}`));
      });
    });
    const health = await fetch(`http://127.0.0.1:${port}/v1/health`);
    expect(health.status).toBe(200);
    expect(existsSync(path.join(cwd, 'node-data', 'node.json'))).toBe(true);
  } finally {
    // Ctrl-C in a terminal signals the whole process group: pnpm, and the node it runs.
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
  }
  // The node stops gracefully and pnpm passes its exit code on, without a "Command failed" line.
  expect(await exited).toBe(0);
  expect(stderr).not.toMatch(/Command failed|ERR_PNPM/);
  await rm(cwd, { recursive: true, force: true });
});

/**
 * The composed node in-process: two nodes on 127.0.0.1 port 0 (real TCP, real store), joined
 * through the first; files spread; close() leaves the cluster and releases everything.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { parseArguments, type NodeConfig } from '../src/cli/options.js';
import { startNode, type RunningNode } from '../src/node.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function config(args: string[]): Promise<NodeConfig> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dfs-node-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const parsed = parseArguments(
    [...args, '--data', dir, '--probe-interval', '100ms', '--anti-entropy-interval', '200ms'],
    {
      env: {},
      cwd: dir,
      stderrIsTty: false,
    },
  );
  if (parsed.kind !== 'run') throw new Error(parsed.stderr);
  return parsed.config;
}

async function start(args: string[]): Promise<RunningNode> {
  const node = await startNode({ config: await config(args), logger: pino({ level: 'silent' }) });
  cleanups.push(() => node.close());
  return node;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('two nodes on port 0 join, spread a file, and the second sees the first leave', async () => {
  const a = await start(['127.0.0.1:0']);
  expect(a.address).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(a.address).not.toBe('127.0.0.1:0');
  expect(a.apiAddress).toBe(a.address);
  const b = await start(['127.0.0.1:0', a.address]);
  const members = async (node: RunningNode) =>
    (
      (await (await fetch(`http://${node.apiAddress}/v1/cluster`)).json()) as {
        members: { id: string; state: string }[];
      }
    ).members;
  await eventually(async () =>
    (await members(a)).some((m) => m.id === b.id && m.state === 'alive'),
  );

  const put = await fetch(`http://${a.apiAddress}/v1/files/shared/doc.txt?w=2&timeout=10s`, {
    method: 'PUT',
    body: 'both',
  });
  expect(put.status).toBe(201);
  const got = await fetch(`http://${b.apiAddress}/v1/files/shared/doc.txt`);
  expect(await got.text()).toBe('both');
  const metrics = await (await fetch(`http://${a.apiAddress}/metrics`)).text();
  expect(metrics).toMatch(/^dfs_peer_connections [1-9]/m);
  expect(metrics).toMatch(/^dfs_peer_frames_total\{direction="out"\} [1-9]/m);
  expect(metrics).toMatch(/^dfs_members\{state="alive"\} 2$/m);
  expect(metrics).toMatch(/^dfs_files 1$/m);
  expect(metrics).toMatch(/^dfs_transfer_timeouts_total\{phase="open"\} 0$/m);

  await a.close();
  await eventually(async () => (await members(b)).some((m) => m.id === a.id && m.state === 'left'));
  // Closing twice is harmless.
  await a.close();
});

it('--api serves HTTP on its own port while peers use the listen port', async () => {
  const node = await start(['127.0.0.1:0', '--api', '127.0.0.1:0']);
  expect(node.apiAddress).not.toBe(node.address);
  const health = await fetch(`http://${node.apiAddress}/v1/health`);
  expect(health.status).toBe(200);
  await expect(fetch(`http://${node.address}/v1/health`)).rejects.toThrow();
});

it('a seed that does not answer does not stop the node from serving', async () => {
  const node = await start(['127.0.0.1:0', '127.0.0.1:9']);
  const health = await fetch(`http://${node.apiAddress}/v1/health`);
  expect(await health.json()).toMatchObject({ status: 'ok', members: 1 });
});

it('reports placement in /v1/cluster and drains a member through the API', async () => {
  const node = await start(['127.0.0.1:0', '--replicas', '2', '--capacity', '3']);
  const base = `http://${node.apiAddress}`;
  const view = (await (await fetch(`${base}/v1/cluster`)).json()) as Record<string, unknown>;
  expect(view).toMatchObject({
    replicas: 2,
    rebalancePaused: false,
    underReplicated: 0,
    surplus: 0,
    self: { id: node.id, placement: { state: 'in', weight: 3, capacity: 3 } },
  });
  // A single node: the default w is 1, so a PUT answers without waiting for anyone.
  const put = await fetch(`${base}/v1/files/one`, { method: 'PUT', body: 'x' });
  expect(put.status).toBe(201);
  expect((await fetch(`${base}/v1/files/one?w=3`, { method: 'PUT', body: 'x' })).status).toBe(400);
  const local = await fetch(`${base}/v1/files/one?redirect=1`, { redirect: 'manual' });
  expect(local.status).toBe(200);
  const unknown = await fetch(`${base}/v1/nodes/nobody/drain`, { method: 'POST' });
  expect(unknown.status).toBe(404);
  expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('UNKNOWN_NODE');
  const drained = await fetch(`${base}/v1/nodes/${node.id}/drain`, { method: 'POST' });
  expect(drained.status).toBe(200);
  expect(await drained.json()).toMatchObject({ id: node.id, status: 'draining', capacity: 3 });
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/^dfs_placement_members\{state="draining"\} 1$/m);
  expect(metrics).toMatch(/^dfs_under_replicated_files 0$/m);
});

it('a node started with another --replicas than the cluster stops itself with exit code 2', async () => {
  const a = await start(['127.0.0.1:0']);
  const b = await start(['127.0.0.1:0', a.address, '--replicas', '2']);
  const code = await Promise.race([
    b.exitRequest,
    new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 10_000)),
  ]);
  expect(code).toBe(2);
  // It closed itself: its API no longer answers.
  await expect(fetch(`http://${b.apiAddress}/v1/health`)).rejects.toThrow();
  expect((await fetch(`http://${a.apiAddress}/v1/health`)).status).toBe(200);
});

/**
 * A GET on a node that must fetch the body from a peer whose copy is corrupt (right length, wrong
 * bytes): the HTTP client must not receive a complete 200 body. Real HTTP, real stores, two
 * replication engines on the in-memory peer network (real clock).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, expect, it } from 'vitest';
import { PROTOCOLS, createReplicatedFileService } from '@dfs/replication';
import type { ReplicationEngine } from '@dfs/replication';
import { openStore } from '@dfs/store';
import { MemoryNetwork, seededRandom, systemClock } from '@dfs/transport';
import type { MemoryTransport } from '@dfs/transport';
import { createApiListener } from '../src/http/api.js';
import { createNodeMetrics } from '../src/metrics.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const BODY = 'only the right bytes '.repeat(10_000);
const IDS = ['holder', 'reader'];

async function startEngine(
  network: MemoryNetwork,
  id: string,
): Promise<{ engine: ReplicationEngine; transport: MemoryTransport }> {
  const dir = await mkdtemp(path.join(tmpdir(), `dfs-read-through-${id}-`));
  const transport = network.createTransport({ id, address: id });
  await transport.listen();
  const store = await openStore({ dir: path.join(dir, 'store'), fsync: false });
  const engine = await createReplicatedFileService({
    nodeId: id,
    dataDir: path.join(dir, 'index'),
    store,
    transport,
    peers: () => IDS.map((peer) => ({ id: peer, address: peer })),
    clock: systemClock,
    random: seededRandom(id.length),
    indexFsync: 'never',
    config: { pushPeers: 0, antiEntropyIntervalMs: 60_000 },
  });
  engine.start();
  cleanups.push(async () => {
    await engine.stop();
    await transport.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { engine, transport };
}

async function startApi(files: ReplicationEngine): Promise<string> {
  const shutdown = new AbortController();
  const listener = createApiListener({
    files,
    nodeId: 'reader',
    lifecycle: () => 'serving',
    cluster: () => ({
      self: { id: 'reader', addr: 'reader', state: 'alive', incarnation: 1, lastSeen: 0 },
      members: [],
      replicas: 3,
      rebalancePaused: false,
      underReplicated: 0,
      surplus: 0,
    }),
    metrics: createNodeMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    maxFileSize: 1024 * 1024,
    shutdown: shutdown.signal,
  });
  const server = http.createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    shutdown.abort();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('a GET through a peer serving corrupt bytes never completes a 200 body', async () => {
  const network = new MemoryNetwork({ clock: systemClock, random: seededRandom(3) });
  const holder = await startEngine(network, 'holder');
  const reader = await startEngine(network, 'reader');
  // The holder lists the file but serves wrong bytes of the right length.
  holder.transport.unhandle(PROTOCOLS.fetch);
  holder.transport.handleStream(PROTOCOLS.fetch, (stream) => {
    stream.on('error', () => undefined);
    stream.resume();
    // In several chunks, so the response's headers and first bytes go out before the end.
    const wrong = Buffer.alloc(BODY.length, 0x2a);
    for (let at = 0; at < wrong.length; at += 16 * 1024)
      stream.write(wrong.subarray(at, at + 16 * 1024));
    stream.end();
  });
  await holder.engine.put('forged.txt', Readable.from([Buffer.from(BODY)]));
  // The background pull fails its sha256 check; the GET below then reads through the holder.
  await eventually(() => {
    const stats = reader.engine.stats();
    return stats.integrityFailures >= 1 && stats.activeTransfers === 0;
  });
  const url = await startApi(reader.engine);

  const response = await fetch(`${url}/v1/files/forged.txt`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-length')).toBe(String(BODY.length));
  // The connection is cut before the last byte: the client sees a truncated body, an error.
  await expect(response.arrayBuffer()).rejects.toThrow();
  expect(reader.engine.describe('forged.txt')?.local).toBe(false);
});

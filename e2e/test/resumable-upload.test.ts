/**
 * Resumable uploads against a real node process: a 256 MiB upload cut part-way resumes from what
 * the node holds (sending less than half again), and a node killed with SIGKILL mid-chunk keeps
 * every chunk it acknowledged. Driven over raw HTTP, so a request can be cut mid-body.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, eventually, tempDir, type NodeProcess } from '../src/node-process.js';
import { fileUrl, json } from '../src/http.js';

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;

const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
let source = '';
let sourceSha = '';
let sourceDir = '';
beforeAll(async () => {
  // 256 MiB of random-looking bytes on disk (1 MiB of random data, each copy salted by its index).
  sourceDir = await tempDir('dfs-resumable-');
  source = path.join(sourceDir, 'big.bin');
  const block = randomBytes(MiB);
  const hash = createHash('sha256');
  const file = await open(source, 'w');
  for (let i = 0; i < SIZE / MiB; i++) {
    block.writeUInt32BE(i, 0);
    await file.write(block);
    hash.update(block);
  }
  await file.close();
  sourceSha = hash.digest('hex');
});
afterAll(async () => {
  await cluster.close();
  await rm(sourceDir, { recursive: true, force: true });
});

interface Session {
  id: string;
  name: string;
  size: number;
  offset: number;
  expiresAt: number;
}

async function createSession(node: NodeProcess, name: string): Promise<Session> {
  const query = new URLSearchParams({ name, size: String(SIZE), sha256: sourceSha });
  const res = await fetch(`${node.url}/v1/uploads?${query.toString()}`, { method: 'POST' });
  expect(res.status).toBe(201);
  return json<Session>(res);
}

async function sessionOf(node: NodeProcess, id: string): Promise<Session> {
  const res = await fetch(`${node.url}/v1/uploads/${id}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('upload-offset')).not.toBeNull();
  return json<Session>(res);
}

/**
 * Sends source bytes [start, end) as one chunk. With `cutAfter`, the request is destroyed once that
 * many bytes were written (the answer never comes); otherwise resolves with the answer.
 */
function sendChunk(
  node: NodeProcess,
  id: string,
  start: number,
  end: number,
  cutAfter?: { bytes: number; then?: () => void },
): Promise<{ status: number; body: string } | 'cut'> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${node.url}/v1/uploads/${id}?offset=${start}`, {
      method: 'PUT',
      headers: { 'content-length': String(end - start) },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (text: string) => (body += text));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    let sent = 0;
    let cut = false;
    req.on('error', (error) => (cut ? resolve('cut') : reject(error)));
    const stream = createReadStream(source, { start, end: end - 1 });
    stream.on('data', (chunk: string | Buffer) => {
      if (cut) return;
      if (!req.write(chunk)) {
        stream.pause();
        req.once('drain', () => stream.resume());
      }
      sent += chunk.length;
      if (cutAfter && sent >= cutAfter.bytes) {
        cut = true;
        stream.destroy();
        cutAfter.then?.();
        req.destroy();
        resolve('cut');
      }
    });
    stream.on('end', () => req.end());
  });
}

async function completeAndCheck(node: NodeProcess, id: string, name: string): Promise<void> {
  const done = await fetch(`${node.url}/v1/uploads/${id}/complete`, { method: 'POST' });
  expect(done.status).toBe(201);
  expect(await json<{ sha256: string; size: number }>(done)).toMatchObject({
    name,
    size: SIZE,
    sha256: sourceSha,
  });
  const got = await fetch(fileUrl(node.url, name));
  expect(got.status).toBe(200);
  const hash = createHash('sha256');
  await pipeline(got.body as unknown as NodeJS.ReadableStream, hash);
  expect(hash.digest('hex')).toBe(sourceSha);
  expect((await fetch(`${node.url}/v1/uploads/${id}`)).status).toBe(404);
}

describe('resumable uploads', () => {
  it('an upload cut part-way resumes from what the node holds, sending less than half again', async () => {
    const node = await cluster.start();
    const { id } = await createSession(node, 'big/cut.bin');
    // One request for the whole file, cut once 60% of it left the client.
    expect(await sendChunk(node, id, 0, SIZE, { bytes: Math.floor(SIZE * 0.6) })).toBe('cut');
    // The node keeps (fsynced) what arrived of the cut chunk; wait until it noticed the cut.
    const held = await eventually(
      async () => {
        const seen = await sessionOf(node, id);
        return seen.offset > SIZE / 2 ? seen : undefined;
      },
      { what: 'the node holds more than half', timeoutMs: 30_000 },
    );
    // A chunk at the wrong offset is refused and says where to resume.
    const wrong = await sendChunk(node, id, 0, MiB);
    expect(wrong).toMatchObject({ status: 409 });
    const resumedFrom = (await sessionOf(node, id)).offset;
    expect(resumedFrom).toBe(held.offset);
    const rest = await sendChunk(node, id, resumedFrom, SIZE);
    expect(rest).toMatchObject({ status: 200 });
    expect(SIZE - resumedFrom).toBeLessThan(SIZE / 2);
    await completeAndCheck(node, id, 'big/cut.bin');
  });

  it('a node killed mid-chunk keeps every chunk it acknowledged, and the upload completes after a restart', async () => {
    const node = await cluster.start();
    const { id } = await createSession(node, 'big/crash.bin');
    const chunk = 16 * MiB;
    let acknowledged = 0;
    for (let i = 0; i < 4; i++) {
      const answer = await sendChunk(node, id, acknowledged, acknowledged + chunk);
      expect(answer).toMatchObject({ status: 200 });
      acknowledged = (JSON.parse((answer as { body: string }).body) as Session).offset;
    }
    expect(acknowledged).toBe(4 * chunk);
    // Half of the fifth chunk is on its way when the node dies.
    await sendChunk(node, id, acknowledged, acknowledged + chunk, {
      bytes: chunk / 2,
      then: () => node.kill('SIGKILL'),
    });
    await node.exited;
    const restarted = await cluster.restart(node);
    const after = await sessionOf(restarted, id);
    expect(after.offset).toBeGreaterThanOrEqual(acknowledged);
    expect(after.offset).toBeLessThanOrEqual(acknowledged + chunk);
    const rest = await sendChunk(restarted, id, after.offset, SIZE);
    expect(rest).toMatchObject({ status: 200 });
    await completeAndCheck(restarted, id, 'big/crash.bin');
  });
});

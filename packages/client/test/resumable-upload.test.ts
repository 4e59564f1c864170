/**
 * `uploadResumable` against the fake node's upload sessions: chunks at the node's offset, a broken
 * chunk resent from what the node holds, a session from an earlier run continued (only the rest
 * sent), and a session the node lost started afresh.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type UploadSessionRef } from '../src/index.js';
import { startFakeDfsServer, type FakeDfsServer } from '../src/testing/index.js';
import { bytes, codeOf, sha } from './helpers.js';

let server: FakeDfsServer | undefined;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-resumable-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

const chunkPuts = (s: FakeDfsServer): string[] =>
  s.requests
    .filter((r) => r.method === 'PUT' && r.url.startsWith('/v1/uploads/'))
    .map((r) => r.url.split('?')[1]!);

describe('uploadResumable', () => {
  it('sends the file in chunks at the node offset and completes it', async () => {
    server = await startFakeDfsServer();
    const body = bytes(100_000);
    const path = join(dir, 'f.bin');
    await writeFile(path, body);
    const client = createClient({ nodes: server.address, retries: 0 });
    const sessions: UploadSessionRef[] = [];
    const progress: number[] = [];
    const result = await client.uploadResumable(
      'big/f.bin',
      { path },
      {
        chunkBytes: 30_000,
        onSession: (s) => sessions.push(s),
        onProgress: ({ loaded }) => progress.push(loaded),
      },
    );
    expect(result).toMatchObject({ name: 'big/f.bin', size: body.length, sha256: sha(body) });
    expect(server.files.get('big/f.bin')?.body.equals(body)).toBe(true);
    expect(chunkPuts(server)).toEqual(['offset=0', 'offset=30000', 'offset=60000', 'offset=90000']);
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.node).toBe(server.url);
    expect(progress.at(-1)).toBe(body.length);
  });

  it('resends a broken chunk from what the node holds', async () => {
    let broken = false;
    server = await startFakeDfsServer({
      intercept: (req, res) => {
        // The second chunk's connection breaks before the node stores anything of it.
        if (!broken && req.method === 'PUT' && req.url?.includes('offset=30000')) {
          broken = true;
          res.socket?.destroy();
          return true;
        }
        return false;
      },
    });
    const body = bytes(70_000);
    const path = join(dir, 'f.bin');
    await writeFile(path, body);
    const client = createClient({ nodes: server.address, retries: 0 });
    await client.uploadResumable('f', { path }, { chunkBytes: 30_000 });
    expect(server.files.get('f')?.body.equals(body)).toBe(true);
    expect(chunkPuts(server)).toEqual(['offset=0', 'offset=30000', 'offset=30000', 'offset=60000']);
  });

  it('continues a session from an earlier run, sending only what the node lacks', async () => {
    server = await startFakeDfsServer();
    const body = bytes(90_000);
    const path = join(dir, 'f.bin');
    await writeFile(path, body);
    const client = createClient({ nodes: server.address, retries: 0 });
    const stop = new AbortController();
    let session: UploadSessionRef | undefined;
    const first = client.uploadResumable(
      'f',
      { path },
      {
        chunkBytes: 30_000,
        signal: stop.signal,
        onSession: (s) => (session = s),
        // Stop while the second chunk is on its way (the first was acknowledged before it left).
        onProgress: ({ loaded }) => {
          if (loaded > 30_000) stop.abort();
        },
      },
    );
    expect(await codeOf(first)).toBe('ERR_ABORTED');
    const before = chunkPuts(server).length;
    const loaded: number[] = [];
    await client.uploadResumable(
      'f',
      { path },
      {
        chunkBytes: 30_000,
        resume: session!,
        onProgress: (p) => loaded.push(p.loaded),
      },
    );
    expect(loaded[0]).toBeGreaterThanOrEqual(30_000);
    expect(chunkPuts(server).slice(before)).not.toContain('offset=0');
    expect(server.files.get('f')?.body.equals(body)).toBe(true);
  });

  it('starts afresh when the node no longer has the session', async () => {
    server = await startFakeDfsServer();
    const body = bytes(10_000);
    const path = join(dir, 'f.bin');
    await writeFile(path, body);
    const client = createClient({ nodes: server.address, retries: 0 });
    const gone = { node: server.url, id: 'a'.repeat(32) };
    const sessions: UploadSessionRef[] = [];
    await client.uploadResumable(
      'f',
      { path },
      { resume: gone, onSession: (s) => sessions.push(s) },
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0]?.id).not.toBe(gone.id);
    expect(server.files.get('f')?.body.equals(body)).toBe(true);
    await client.abortUpload(gone); // a missing session is fine
  });
});

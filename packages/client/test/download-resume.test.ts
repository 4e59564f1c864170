import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../src/index.js';
import { startFakeDfsServer } from '../src/testing/index.js';
import { bytes, codeOf, sha } from './helpers.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dfs-client-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a download broken mid-body', () => {
  it('reports a connection cut mid-body as ERR_NETWORK saying how far it got', async () => {
    const cutting = await startFakeDfsServer({
      intercept: (req, res) => {
        if (req.method !== 'GET') return false;
        res.writeHead(200, { 'content-length': 1000, etag: `"${'a'.repeat(64)}"` });
        res.write(Buffer.alloc(100), () => res.socket?.destroy());
        return true;
      },
    });
    try {
      const cutClient = createClient({ nodes: cutting.address, retries: 0 });
      const error = await cutClient.getBuffer('x').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'ERR_NETWORK' });
      expect((error as Error).message).toMatch(/broke after 100 of 1000 bytes/);
    } finally {
      await cutting.close();
    }
  });

  it('resumes a download that broke mid-body from the first missing byte', async () => {
    const body = bytes(200_000);
    const ranges: (string | undefined)[] = [];
    let cut = false;
    const flaky = await startFakeDfsServer({
      intercept: (req, res) => {
        if (req.method !== 'GET') return false;
        ranges.push(req.headers.range);
        if (cut) return false;
        cut = true;
        const file = flaky.files.get('big')!;
        res.writeHead(200, { 'content-length': file.body.length, etag: `"${file.sha256}"` });
        res.write(file.body.subarray(0, 70_000), () => res.socket?.destroy());
        return true;
      },
    });
    try {
      const flakyClient = createClient({ nodes: flaky.address, retries: 1 });
      await flakyClient.put('big', body);
      const seen: number[] = [];
      const target = join(dir, 'resumed.bin');
      await flakyClient.getToFile('big', target, { onProgress: ({ loaded }) => seen.push(loaded) });
      expect((await readFile(target)).equals(body)).toBe(true);
      expect(ranges).toEqual([undefined, 'bytes=70000-199999']);
      expect(seen.at(-1)).toBe(body.length);
    } finally {
      await flaky.close();
    }
  });

  it('resumes a range download within the range', async () => {
    let cut = false;
    const flaky = await startFakeDfsServer({
      intercept: (req, res) => {
        if (req.method !== 'GET' || cut) return false;
        cut = true;
        const file = flaky.files.get('r')!;
        res.writeHead(206, {
          'content-length': 5,
          'content-range': `bytes 2-6/${file.body.length}`,
          etag: `"${file.sha256}"`,
        });
        res.write(file.body.subarray(2, 4), () => res.socket?.destroy());
        return true;
      },
    });
    try {
      const flakyClient = createClient({ nodes: flaky.address, retries: 1 });
      await flakyClient.put('r', '0123456789');
      const part = await flakyClient.getBuffer('r', { range: { start: 2, end: 6 } });
      expect(part.toString()).toBe('23456');
    } finally {
      await flaky.close();
    }
  });

  it('refuses to resume onto a newer version (ERR_CHANGED)', async () => {
    let cut = false;
    const flaky = await startFakeDfsServer({
      intercept: (req, res) => {
        if (req.method !== 'GET' || cut) return false;
        cut = true;
        const file = flaky.files.get('v')!;
        res.writeHead(200, { 'content-length': file.body.length, etag: `"${file.sha256}"` });
        res.write(file.body.subarray(0, 10), () => {
          res.socket?.destroy();
          // A newer write lands while the reader is cut off.
          flaky.files.set('v', { ...file, body: Buffer.from('new'), sha256: sha('new') });
        });
        return true;
      },
    });
    try {
      const flakyClient = createClient({ nodes: flaky.address, retries: 1 });
      await flakyClient.put('v', bytes(1000));
      expect(await codeOf(flakyClient.getBuffer('v'))).toBe('ERR_CHANGED');
    } finally {
      await flaky.close();
    }
  });
});

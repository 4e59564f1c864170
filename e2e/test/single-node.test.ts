import { existsSync, readFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, eventually, type NodeProcess } from '../src/node-process.js';
import { fileUrl, json, putFile, rawExchange, rawRequest, sha256 } from '../src/http.js';

const cluster = new Cluster();
afterAll(() => cluster.close());

/** Every regular file under `dir`, relative paths. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

describe('durability', () => {
  it('a 201 means the file survives kill -9 of that node right after', async () => {
    const node = await cluster.start();
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 5; i++) bodies.set(`durable/${i}`, randomBytes(1000 + i * 50_000));
    for (const [name, body] of bodies) {
      const res = await putFile(node.url, name, body);
      expect(res.status).toBe(201);
    }
    node.kill('SIGKILL');
    await node.exited;
    const again = await cluster.restart(node);
    for (const [name, body] of bodies) {
      const res = await fetch(fileUrl(again.url, name));
      expect(res.status).toBe(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).toBe(sha256(body));
    }
  });

  it('an upload aborted midway leaves nothing behind, not even a partial file', async () => {
    const node = await cluster.start();
    expect((await putFile(node.url, 'keep', 'kept')).status).toBe(201);
    const before = await filesUnder(path.join(node.spec.dataDir, 'store'));
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: node.spec.port,
        method: 'PUT',
        path: '/v1/files/half',
        headers: { 'content-length': 4 * 1024 * 1024 },
      });
      req.on('error', () => {});
      req.write(randomBytes(1024 * 1024), () => {
        req.destroy();
        resolve();
      });
    });
    // The node notices the disconnect and removes its temp file: poll until the store is as before.
    await eventually(
      async () => {
        const head = await fetch(fileUrl(node.url, 'half'), { method: 'HEAD' });
        const now = await filesUnder(path.join(node.spec.dataDir, 'store'));
        return head.status === 404 && JSON.stringify(now) === JSON.stringify(before)
          ? true
          : undefined;
      },
      { what: 'aborted upload cleaned up' },
    );
    const list = await json<{ files: { name: string }[] }>(await fetch(`${node.url}/v1/files`));
    expect(list.files.map((f) => f.name)).toEqual(['keep']);
  });
});

describe('hostile input', () => {
  let node: NodeProcess;
  beforeAll(async () => {
    node = await cluster.start({ flags: ['--max-file-size', '64KiB'] });
    expect((await putFile(node.url, 'ten', '0123456789')).status).toBe(201);
  });

  const stillServing = async (): Promise<void> => {
    const res = await fetch(fileUrl(node.url, 'ten'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('0123456789');
  };

  it.each([
    '/v1/files/%2Fleading',
    '/v1/files/a/../b',
    '/v1/files/a/./b',
    '/v1/files/ctl%07char',
    '/v1/files/bad%ZZescape',
    `/v1/files/${'x'.repeat(1025)}`,
  ])('a bad name %s is a 400 INVALID_NAME', async (badPath) => {
    const res = await rawRequest(node.spec.port, { method: 'PUT', path: badPath, body: 'x' });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'INVALID_NAME' } });
    await stillServing();
  });

  it.each(['bytes=10-', 'bytes=9-3', 'bytes=abc', 'bytes=0-1,4-5'])(
    'a bad range %s is a 416 with the size',
    async (range) => {
      const res = await fetch(fileUrl(node.url, 'ten'), { headers: { range } });
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe('bytes */10');
      expect(await json<{ error: { code: string } }>(res)).toMatchObject({
        error: { code: 'RANGE_NOT_SATISFIABLE' },
      });
    },
  );

  it('a good range is a 206', async () => {
    const res = await fetch(fileUrl(node.url, 'ten'), { headers: { range: 'bytes=2-4' } });
    expect(res.status).toBe(206);
    expect(await res.text()).toBe('234');
  });

  it('an oversized body is a 413 (declared or streamed) and leaves nothing', async () => {
    const declared = await putFile(node.url, 'too-big', randomBytes(65 * 1024));
    expect(declared.status).toBe(413);
    expect(await json<{ error: { code: string } }>(declared)).toMatchObject({
      error: { code: 'TOO_LARGE' },
    });
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: node.spec.port,
          method: 'PUT',
          path: '/v1/files/too-big-chunked',
          agent: false,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.setHeader('transfer-encoding', 'chunked');
      for (let i = 0; i < 5; i++) req.write(randomBytes(16 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
    for (const name of ['too-big', 'too-big-chunked']) {
      expect((await fetch(fileUrl(node.url, name), { method: 'HEAD' })).status).toBe(404);
    }
    await stillServing();
  });

  it('random bytes on the port get a closed connection and the node keeps serving', async () => {
    for (let i = 0; i < 5; i++) {
      const reply = await rawExchange(node.spec.port, randomBytes(256 + i * 1000));
      expect(reply === '' || reply.startsWith('HTTP/1.1 400')).toBe(true);
    }
    await stillServing();
  });

  it('garbage after the peer-protocol magic (malformed frames, unauthenticated peers) closes that connection only', async () => {
    const magic = Buffer.from([0xf0, 0x64, 0x66, 0x73]);
    for (let i = 0; i < 5; i++) {
      const reply = await rawExchange(
        node.spec.port,
        Buffer.concat([magic, randomBytes(64 + i * 4000)]),
      );
      expect(reply.startsWith('HTTP/')).toBe(false);
    }
    await stillServing();
  });

  it('a client that never finishes its headers is cut off (slowloris) while others are served', async () => {
    const slow = rawExchange(
      node.spec.port,
      'GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Slow: ',
      30_000,
    );
    await stillServing();
    const reply = await slow;
    expect(reply === '' || reply.startsWith('HTTP/1.1 408')).toBe(true);
    await stillServing();
  });
});

describe('API token', () => {
  it('is required on every call but /v1/health', async () => {
    const node = await cluster.start({
      env: { DFS_API_TOKEN: 'e2e-token', DFS_CLUSTER_SECRET: 'e2e-secret' },
    });
    const auth = { authorization: 'Bearer e2e-token' };
    expect((await fetch(`${node.url}/v1/health`)).status).toBe(200);
    for (const p of ['/v1/files', '/v1/cluster', '/metrics', '/v1/files/x']) {
      expect((await fetch(`${node.url}${p}`)).status).toBe(401);
      expect(
        (await fetch(`${node.url}${p}`, { headers: { authorization: 'Bearer wrong' } })).status,
      ).toBe(401);
    }
    expect((await putFile(node.url, 'x', 'no token')).status).toBe(401);
    expect((await putFile(node.url, 'x', 'token', auth)).status).toBe(201);
    const res = await fetch(fileUrl(node.url, 'x'), { headers: auth });
    expect(await res.text()).toBe('token');
  });
});

describe('--api on its own address', () => {
  it('serves HTTP there and not on the peer port', async () => {
    const { freePort } = await import('../src/node-process.js');
    const apiPort = await freePort();
    const node = await cluster.start({ flags: ['--api', `127.0.0.1:${apiPort}`] });
    expect(node.stdout).toContain(`api=127.0.0.1:${apiPort}`);
    expect((await fetch(`http://127.0.0.1:${apiPort}/v1/health`)).status).toBe(200);
    const reply = await rawExchange(node.spec.port, 'GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(reply).toBe('');
  });
});

describe('shutdown', () => {
  it('SIGTERM during an upload exits 0, and the half-sent file is nowhere after a restart', async () => {
    const node = await cluster.start();
    const storeDir = path.join(node.spec.dataDir, 'store');
    const before = await filesUnder(storeDir);
    const req = http.request({
      host: '127.0.0.1',
      port: node.spec.port,
      method: 'PUT',
      path: '/v1/files/interrupted',
      headers: { 'content-length': 8 * 1024 * 1024 },
    });
    const answered = new Promise<number | undefined>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(undefined));
    });
    await new Promise<void>((resolve) => req.write(randomBytes(1024 * 1024), () => resolve()));
    node.kill('SIGTERM');
    expect(await node.exited).toEqual({ code: 0, signal: null });
    expect([undefined, 503]).toContain(await answered);
    const again = await cluster.restart(node);
    expect((await fetch(fileUrl(again.url, 'interrupted'), { method: 'HEAD' })).status).toBe(404);
    expect(await filesUnder(storeDir)).toEqual(before);
  });
});

describe('bounded memory', () => {
  const peakRssMiB = (pid: number | undefined): number => {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
  };

  it.runIf(existsSync('/proc/self/status'))(
    'a 256 MiB upload and download move through far less memory than the file size',
    async () => {
      const node = await cluster.start();
      const size = 256 * 1024 * 1024;
      const pattern = randomBytes(1024 * 1024);
      const hash = createHash('sha256');
      const before = peakRssMiB(node.child.pid);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: node.spec.port,
            method: 'PUT',
            path: '/v1/files/huge',
            headers: { 'content-length': size },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        let sent = 0;
        const pump = (): void => {
          while (sent < size) {
            sent += pattern.length;
            hash.update(pattern);
            if (!req.write(pattern)) {
              req.once('drain', pump);
              return;
            }
          }
          req.end();
        };
        pump();
      });
      expect(status).toBe(201);
      const download = createHash('sha256');
      await new Promise<void>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: node.spec.port, path: '/v1/files/huge' }, (res) => {
          res.on('data', (chunk: Buffer) => download.update(chunk));
          res.on('end', resolve);
          res.on('error', reject);
        });
      });
      expect(download.digest('hex')).toBe(hash.digest('hex'));
      // Buffering the body anywhere would add at least its 256 MiB.
      expect(peakRssMiB(node.child.pid) - before).toBeLessThan(64);
    },
  );
});

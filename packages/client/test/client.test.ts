import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, type DfsClient } from '../src/index.js';
import { startFakeDfsServer, type FakeDfsServer } from '../src/testing/index.js';
import { bytes, codeOf, sha } from './helpers.js';

let server: FakeDfsServer;
let client: DfsClient;
let dir: string;

beforeEach(async () => {
  server = await startFakeDfsServer();
  client = createClient({ nodes: server.address, retries: 0 });
  dir = await mkdtemp(join(tmpdir(), 'dfs-client-'));
});

afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('upload and download', () => {
  it('round-trips binary bytes and reports the sha256 and size', async () => {
    const body = bytes(300_000);
    const result = await client.put('dir/a b.bin', body);
    expect(result).toMatchObject({ name: 'dir/a b.bin', size: body.length, sha256: sha(body) });
    expect(server.requests.at(-1)?.url).toBe('/v1/files/dir/a%20b.bin');
    expect(server.requests.at(-1)?.contentLength).toBe(String(body.length));
    expect((await client.getBuffer('dir/a b.bin')).equals(body)).toBe(true);
  });

  it.each([
    ['a string', () => 'héllo'],
    ['a Node stream', () => Readable.from([Buffer.from('hé'), Buffer.from('llo')])],
    ['a web stream', () => Readable.toWeb(Readable.from([Buffer.from('héllo')]))],
  ])('uploads %s', async (_what, makeBody) => {
    const body = makeBody() as Parameters<DfsClient['put']>[1];
    await client.put('x', body);
    expect(server.files.get('x')?.body.toString()).toBe('héllo');
  });

  it('uploads a file by path with its length and reports progress up to the total', async () => {
    const path = join(dir, 'in.bin');
    const body = bytes(200_000);
    await writeFile(path, body);
    const seen: number[] = [];
    await client.put(
      'f',
      { path },
      { onProgress: ({ loaded, total }) => seen.push(loaded, total ?? -1) },
    );
    expect(server.files.get('f')?.body.equals(body)).toBe(true);
    expect(seen.at(-2)).toBe(body.length);
    expect(seen.at(-1)).toBe(body.length);
    expect(server.requests.at(-1)?.contentLength).toBe(String(body.length));
  });

  it('sends a small file as one body and counts its bytes once the node answered', async () => {
    const path = join(dir, 'small.bin');
    const body = bytes(64 * 1024);
    await writeFile(path, body);
    const seen: number[] = [];
    await client.put('s', { path }, { onProgress: ({ loaded }) => seen.push(loaded) });
    expect(server.files.get('s')?.body.equals(body)).toBe(true);
    expect(seen).toEqual([body.length]);
    expect(server.requests.at(-1)?.contentLength).toBe(String(body.length));
    // One byte more is streamed in slices again.
    await writeFile(path, bytes(64 * 1024 + 1));
    const streamed: number[] = [];
    await client.put('t', { path }, { onProgress: ({ loaded }) => streamed.push(loaded) });
    expect(streamed.length).toBeGreaterThan(1);
  });

  it('refuses a missing local file before contacting any node', async () => {
    expect(await codeOf(client.put('f', { path: join(dir, 'nope') }))).toBe('ERR_INVALID_ARGUMENT');
    expect(server.requests).toHaveLength(0);
  });

  it('streams a download with metadata and progress', async () => {
    const body = bytes(150_000);
    await client.put('big', body);
    const seen: number[] = [];
    const download = await client.get('big', { onProgress: ({ loaded }) => seen.push(loaded) });
    expect(download.info).toMatchObject({
      size: body.length,
      sha256: sha(body),
      holders: 1,
      holderIds: [server.id],
    });
    expect(download.info.version).not.toBe('');
    expect((await download.buffer()).equals(body)).toBe(true);
    expect(seen.at(-1)).toBe(body.length);
  });

  it('offers the body as a web stream', async () => {
    await client.put('w', 'web');
    const download = await client.get('w');
    const chunks: Uint8Array[] = [];
    for await (const chunk of download.webStream()) chunks.push(chunk);
    expect(Buffer.concat(chunks).toString()).toBe('web');
  });

  it('reads a byte range', async () => {
    await client.put('r', '0123456789');
    const download = await client.get('r', { range: { start: 2, end: 5 } });
    expect(download.range).toEqual({ start: 2, end: 5, total: 10 });
    expect(download.info.size).toBe(10);
    expect(download.length).toBe(4);
    expect((await download.buffer()).toString()).toBe('2345');
    expect((await client.getBuffer('r', { range: { start: 7 } })).toString()).toBe('789');
  });

  it('reports an unsatisfiable range as ERR_RANGE with status 416', async () => {
    await client.put('r', 'abc');
    await expect(client.get('r', { range: { start: 10 } })).rejects.toMatchObject({
      code: 'ERR_RANGE',
      status: 416,
    });
  });

  it('passes w and maps the 504 that says fewer nodes hold the file', async () => {
    await client.put('one', 'x', { w: 1 });
    expect(server.requests.at(-1)?.url).toBe('/v1/files/one?w=1');
    await expect(client.put('two', 'x', { w: 3 })).rejects.toMatchObject({
      code: 'ERR_TIMEOUT',
      status: 504,
    });
  });

  it('reports a body over the node limit as ERR_TOO_LARGE with status 413', async () => {
    const small = await startFakeDfsServer({ maxFileSize: 1000 });
    try {
      const smallClient = createClient({ nodes: small.address, retries: 0 });
      await expect(smallClient.put('big', bytes(2_000_000))).rejects.toMatchObject({
        code: 'ERR_TOO_LARGE',
        status: 413,
      });
      expect(small.files.has('big')).toBe(false);
    } finally {
      await small.close();
    }
  });

  it('aborts an upload when the signal fires', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push('start');
    const upload = client.put('slow', body, { signal: controller.signal });
    controller.abort();
    expect(await codeOf(upload)).toBe('ERR_ABORTED');
    expect(server.files.has('slow')).toBe(false);
  });
});

describe('metadata, delete, list', () => {
  it('heads a file and reports a missing one as ERR_NOT_FOUND', async () => {
    await client.put('h', 'hello');
    expect(await client.head('h')).toMatchObject({
      name: 'h',
      size: 5,
      sha256: sha('hello'),
      holderIds: [server.id],
    });
    expect(await codeOf(client.stat('missing'))).toBe('ERR_NOT_FOUND');
    expect(await client.exists('h')).toBe(true);
    expect(await client.exists('missing')).toBe(false);
  });

  it('deletes a file; deleting it again is ERR_NOT_FOUND with status 404', async () => {
    await client.put('d', 'x');
    await client.delete('d');
    expect(server.files.has('d')).toBe(false);
    await expect(client.delete('d')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', status: 404 });
  });

  it('lists one page with a cursor, and every page through listAll', async () => {
    for (const name of ['p/a', 'p/b', 'p/c', 'q/d', 'p/e']) await client.put(name, name);
    const first = await client.list({ prefix: 'p/', limit: 2 });
    expect(first.files.map((f) => f.name)).toEqual(['p/a', 'p/b']);
    expect(first.next).toBeDefined();
    expect(first.files[0]?.modified).toBeGreaterThan(0);
    const names: string[] = [];
    for await (const file of client.listAll({ prefix: 'p/', limit: 2 })) names.push(file.name);
    expect(names).toEqual(['p/a', 'p/b', 'p/c', 'p/e']);
  });

  it('reads the cluster view and health', async () => {
    const view = await client.cluster();
    expect(view.self).toBe(server.id);
    expect(view.selfMember?.state).toBe('alive');
    expect(await client.health()).toMatchObject({ ok: true, status: 'ok', files: 0, members: 1 });
    server.setStatus('starting');
    expect(await client.health()).toMatchObject({ ok: false, status: 'starting' });
  });
});

describe('status', () => {
  it('reads every member with its stats, and a member without them with why', async () => {
    const peers = await startFakeDfsServer({
      peers: [
        { id: 'p1', addr: '10.0.0.2:4001', state: 'alive', incarnation: 1, lastSeen: 1 },
        { id: 'p2', addr: '10.0.0.3:4001', state: 'dead', incarnation: 1, lastSeen: 1 },
        {
          id: 'p3',
          addr: '10.0.0.4:4001',
          state: 'alive',
          incarnation: 1,
          lastSeen: 1,
          stats: null,
        },
      ],
    });
    try {
      const statusClient = createClient({ nodes: peers.address, retries: 0 });
      await statusClient.put('a', 'abc');
      const status = await statusClient.status();
      expect(status.self).toBe(peers.id);
      expect(status.members.map((m) => [m.id, m.stats?.files ?? null, m.error])).toEqual([
        [peers.id, 1, undefined],
        ['p1', 0, undefined],
        ['p2', null, 'dead'],
        ['p3', null, 'timeout'],
      ]);
      expect(status.members[0]?.stats?.bytes).toBe(3);
      expect(peers.requests.at(-1)).toMatchObject({ method: 'GET', url: '/v1/status' });
    } finally {
      await peers.close();
    }
  });
});

describe('placement', () => {
  it('reads R, the brake, the counts and each member placement from the cluster view', async () => {
    server.cluster.rebalancePaused = true;
    server.cluster.underReplicated = 4;
    const view = await client.cluster();
    expect(view).toMatchObject({
      replicas: 3,
      rebalancePaused: true,
      underReplicated: 4,
      surplus: 0,
    });
    expect(view.selfMember?.placement).toEqual({ state: 'in', weight: 1, capacity: 1 });
  });

  it('drains and removes a member, resolving with its row', async () => {
    const drained = await client.drainNode(server.id);
    expect(drained).toMatchObject({ id: server.id, status: 'draining', replicas: 3 });
    expect((await client.cluster()).selfMember?.placement?.state).toBe('draining');
    expect(await client.removeNode(server.id)).toMatchObject({ status: 'removed' });
    expect(server.nodeActions).toEqual([`drain ${server.id}`, `remove ${server.id}`]);
    expect(server.requests.at(-1)).toMatchObject({
      method: 'POST',
      url: `/v1/nodes/${server.id}/remove`,
    });
  });

  it('reports an unknown id as ERR_UNKNOWN_NODE and refuses an empty one before sending', async () => {
    expect(await codeOf(client.drainNode('nobody'))).toBe('ERR_UNKNOWN_NODE');
    expect(await codeOf(client.removeNode('a/b'))).toBe('ERR_UNKNOWN_NODE');
    const sent = server.requests.length;
    expect(await codeOf(client.drainNode(''))).toBe('ERR_INVALID_ARGUMENT');
    expect(server.requests.length).toBe(sent);
  });
});

describe('bad input and auth', () => {
  it('refuses bad names before sending anything', async () => {
    for (const name of ['', '/abs', 'a/../b', 'bad\u0000']) {
      expect(await codeOf(client.put(name, 'x'))).toBe('ERR_INVALID_NAME');
      expect(await codeOf(client.get(name))).toBe('ERR_INVALID_NAME');
    }
    expect(server.requests).toHaveLength(0);
  });

  it('refuses bad ranges, limits and w values', async () => {
    expect(await codeOf(client.get('a', { range: { start: 5, end: 2 } }))).toBe(
      'ERR_INVALID_ARGUMENT',
    );
    expect(await codeOf(client.get('a', { range: { start: -1 } }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(client.list({ limit: 0 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(await codeOf(client.put('a', 'x', { w: 0 }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('sends the token and maps a refusal to ERR_UNAUTHORIZED', async () => {
    const guarded = await startFakeDfsServer({ token: 's3cret' });
    try {
      const anonymous = createClient({ nodes: guarded.address, retries: 0 });
      await expect(anonymous.list()).rejects.toMatchObject({
        code: 'ERR_UNAUTHORIZED',
        status: 401,
        serverCode: 'UNAUTHORIZED',
      });
      expect((await anonymous.health()).ok).toBe(true);
      const authorized = createClient({ nodes: guarded.address, token: 's3cret' });
      await authorized.put('t', 'x');
      expect(guarded.requests.at(-1)?.authorization).toBe('Bearer s3cret');
    } finally {
      await guarded.close();
    }
  });

  it('reports an answer that breaks the API as ERR_BAD_RESPONSE', async () => {
    const odd = await startFakeDfsServer({
      intercept: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"files":"nope"}');
        return true;
      },
    });
    try {
      const oddClient = createClient({ nodes: odd.address, retries: 0 });
      expect(await codeOf(oddClient.list())).toBe('ERR_BAD_RESPONSE');
      expect(await codeOf(oddClient.cluster())).toBe('ERR_BAD_RESPONSE');
      expect(await codeOf(oddClient.status())).toBe('ERR_BAD_RESPONSE');
    } finally {
      await odd.close();
    }
  });
});

describe('getToFile', () => {
  it('writes the file and leaves no temporary file behind', async () => {
    const body = bytes(100_000);
    await client.put('g', body);
    const target = join(dir, 'out.bin');
    const info = await client.getToFile('g', target);
    expect(info.sha256).toBe(sha(body));
    expect((await readFile(target)).equals(body)).toBe(true);
    expect(await readdir(dir)).toEqual(['out.bin']);
  });

  it('refuses to overwrite unless asked, before downloading', async () => {
    await client.put('g', 'new');
    const target = join(dir, 'out.txt');
    await writeFile(target, 'old');
    const before = server.requests.length;
    expect(await codeOf(client.getToFile('g', target))).toBe('ERR_EXISTS');
    expect(server.requests.length).toBe(before);
    expect(await readFile(target, 'utf8')).toBe('old');
    await client.getToFile('g', target, { overwrite: true });
    expect(await readFile(target, 'utf8')).toBe('new');
  });

  it('writes nothing when the bytes do not match the announced sha256', async () => {
    const liar = await startFakeDfsServer({
      intercept: (req, res) => {
        if (req.method !== 'GET') return false;
        res.writeHead(200, {
          'content-length': 4,
          etag: `"${sha('good')}"`,
          'x-dfs-version': 'v1',
        });
        res.end('evil');
        return true;
      },
    });
    try {
      const target = join(dir, 'bad.txt');
      const liarClient = createClient({ nodes: liar.address, retries: 0 });
      expect(await codeOf(liarClient.getToFile('x', target))).toBe('ERR_INTEGRITY');
      expect(await readdir(dir)).toEqual([]);
    } finally {
      await liar.close();
    }
  });

  it('writes nothing for a missing file', async () => {
    expect(await codeOf(client.getToFile('missing', join(dir, 'm')))).toBe('ERR_NOT_FOUND');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('listing every page', () => {
  it('yields exactly the names under the prefix, in byte order, for any page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^[a-c]{1,3}(\/[a-c]{1,2})?$/), { maxLength: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('', 'a', 'b/', 'ab'),
        async (names, pageSize, prefix) => {
          server.files.clear();
          for (const name of names) await client.put(name, name);
          const listed: string[] = [];
          for await (const file of client.listAll({ prefix, limit: pageSize })) {
            listed.push(file.name);
          }
          const expected = names
            .filter((name) => name.startsWith(prefix))
            .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
          expect(listed).toEqual(expected);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('uploads and downloads an empty file', async () => {
    const result = await client.put('empty', Buffer.alloc(0));
    expect(result.size).toBe(0);
    expect((await client.getBuffer('empty')).length).toBe(0);
    const target = join(dir, 'empty.out');
    await client.getToFile('empty', target);
    expect((await readFile(target)).length).toBe(0);
  });
});

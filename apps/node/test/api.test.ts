import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '@dfs/transport';
import { DEFAULT_TUNABLES } from '../src/config.js';
import { startTestApi, type TestApi } from './support/api-server.js';

let api: TestApi;
afterEach(async () => {
  await api?.close();
});

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

async function errorCodeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(body.error.message.length).toBeGreaterThan(0);
  return body.error.code;
}

describe('files', () => {
  beforeEach(async () => {
    api = await startTestApi();
  });

  it('a PUT answers 201 with name, size, sha256 and version, and GET returns the bytes', async () => {
    const put = await fetch(`${api.url}/v1/files/docs/a%20b.txt`, {
      method: 'PUT',
      body: 'hello world',
    });
    expect(put.status).toBe(201);
    const info = (await put.json()) as Record<string, unknown>;
    expect(info).toEqual({
      name: 'docs/a b.txt',
      size: 11,
      sha256: sha('hello world'),
      version: 'v000001',
    });
    const get = await fetch(`${api.url}/v1/files/docs%2Fa%20b.txt`);
    expect(get.status).toBe(200);
    expect(get.headers.get('etag')).toBe(`"${sha('hello world')}"`);
    expect(get.headers.get('accept-ranges')).toBe('bytes');
    expect(await get.text()).toBe('hello world');
  });

  it('keeps the Content-Type of a PUT, or guesses it from the name, and serves it back', async () => {
    const given = await fetch(`${api.url}/v1/files/notes/readme`, {
      method: 'PUT',
      headers: { 'content-type': 'text/markdown; charset=utf-8' },
      body: '# hi',
    });
    expect(given.status).toBe(201);
    const get = await fetch(`${api.url}/v1/files/notes/readme`);
    expect(get.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
    expect(get.headers.get('content-disposition')).toBe(
      `inline; filename="readme"; filename*=UTF-8''readme`,
    );
    await get.text();
    // The generic type says nothing about the file: the name's extension decides.
    await fetch(`${api.url}/v1/files/img/%C3%A9t%C3%A9.png`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'png',
    });
    const head = await fetch(`${api.url}/v1/files/img/%C3%A9t%C3%A9.png`, { method: 'HEAD' });
    expect(head.headers.get('content-type')).toBe('image/png');
    expect(head.headers.get('content-disposition')).toBe(
      `inline; filename="_t_.png"; filename*=UTF-8''%C3%A9t%C3%A9.png`,
    );
    await fetch(`${api.url}/v1/files/blob.unknownext`, { method: 'PUT', body: Buffer.from('x') });
    const unknown = await fetch(`${api.url}/v1/files/blob.unknownext`, { method: 'HEAD' });
    expect(unknown.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('refuses a Content-Type that could not be stored', async () => {
    const put = await fetch(`${api.url}/v1/files/long`, {
      method: 'PUT',
      headers: { 'content-type': `a/${'b'.repeat(300)}` },
      body: 'x',
    });
    expect(put.status).toBe(400);
    expect(await errorCodeOf(put)).toBe('BAD_REQUEST');
    expect((await fetch(`${api.url}/v1/files/long`, { method: 'HEAD' })).status).toBe(404);
  });

  it('HEAD gives size, sha256, version and holders without a body', async () => {
    await fetch(`${api.url}/v1/files/x`, { method: 'PUT', body: 'abc' });
    const head = await fetch(`${api.url}/v1/files/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('3');
    expect(head.headers.get('x-dfs-sha256')).toBe(sha('abc'));
    expect(head.headers.get('x-dfs-version')).toBe('v000001');
    expect(head.headers.get('x-dfs-holders')).toBe('1');
    expect(head.headers.get('x-dfs-holder-ids')).toBe('self');
    expect(await head.text()).toBe('');
    const missing = await fetch(`${api.url}/v1/files/nope`, { method: 'HEAD' });
    expect(missing.status).toBe(404);
  });

  it('an unknown file is a 404 with a JSON NOT_FOUND error', async () => {
    const get = await fetch(`${api.url}/v1/files/missing`);
    expect(get.status).toBe(404);
    expect(get.headers.get('content-type')).toMatch(/application\/json/);
    expect(await errorCodeOf(get)).toBe('NOT_FOUND');
  });

  it('DELETE answers 204, then 404 for the same name', async () => {
    await fetch(`${api.url}/v1/files/gone`, { method: 'PUT', body: 'x' });
    expect((await fetch(`${api.url}/v1/files/gone`, { method: 'DELETE' })).status).toBe(204);
    const again = await fetch(`${api.url}/v1/files/gone`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await errorCodeOf(again)).toBe('NOT_FOUND');
    expect((await fetch(`${api.url}/v1/files/gone`)).status).toBe(404);
  });

  it('If-None-Match with the current ETag answers 304', async () => {
    await fetch(`${api.url}/v1/files/cached`, { method: 'PUT', body: 'same' });
    const res = await fetch(`${api.url}/v1/files/cached`, {
      headers: { 'if-none-match': `"${sha('same')}"` },
    });
    expect(res.status).toBe(304);
    const other = await fetch(`${api.url}/v1/files/cached`, {
      headers: { 'if-none-match': '"other"' },
    });
    expect(other.status).toBe(200);
    expect(await other.text()).toBe('same');
  });

  it.each([
    ['empty', '/v1/files/'],
    ['leading slash', '/v1/files/%2Fabs'],
    ['dot segment', '/v1/files/a/./b'],
    ['dot-dot segment', '/v1/files/a/%2E%2E/b'],
    ['control character', '/v1/files/a%00b'],
    ['bad percent-encoding', '/v1/files/a%ZZ'],
    ['invalid UTF-8', '/v1/files/a%C3'],
    ['too long', `/v1/files/${'n'.repeat(1025)}`],
  ])('a name with %s is refused with 400', async (_why, path) => {
    const res = await rawRequest(api.url, 'PUT', path, 'body');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error.code).toBe('INVALID_NAME');
    expect(api.files.entries.size).toBe(0);
  });

  it('a declared Content-Length over --max-file-size is refused with 413 before reading', async () => {
    await api.close();
    api = await startTestApi({ maxFileSize: 10 });
    const res = await fetch(`${api.url}/v1/files/big`, { method: 'PUT', body: 'x'.repeat(11) });
    expect(res.status).toBe(413);
    expect(await errorCodeOf(res)).toBe('TOO_LARGE');
    expect(api.files.abortedPuts).toEqual([]);
    expect(api.files.entries.size).toBe(0);
  });

  it('a chunked body that grows past --max-file-size is refused with 413 and leaves nothing', async () => {
    await api.close();
    api = await startTestApi({ maxFileSize: 10 });
    const res = await rawRequest(api.url, 'PUT', '/v1/files/big', ['x'.repeat(6), 'y'.repeat(6)]);
    expect(res.status).toBe(413);
    expect(api.files.entries.size).toBe(0);
  });

  it('an upload aborted midway leaves nothing behind', async () => {
    const started = new Promise<void>((resolve) => (api.files.onPutStarted = resolve));
    const { port } = new URL(api.url);
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'PUT',
      path: '/v1/files/half',
      headers: { 'content-length': 100 },
    });
    req.on('error', () => {});
    req.write('x'.repeat(50));
    await started;
    req.destroy();
    await waitFor(() => api.files.abortedPuts.includes('half'));
    expect(api.files.entries.has('half')).toBe(false);
  });

  it('a large PUT that waits for no other copy replicates after its commit; the rest while streaming', async () => {
    const min = DEFAULT_TUNABLES.http.replicateAfterCommitMinBytes;
    const large = Buffer.alloc(min, 'l');
    for (const [query, body] of [
      ['?w=1', large], // after commit
      ['', large], // the default w on a node alone is 1: after commit
      ['?w=2&timeout=1ms', large], // waits for a second copy: while streaming
      ['?w=1', 'small'], // below the size: while streaming
    ] as const) {
      await fetch(`${api.url}/v1/files/after${query}`, { method: 'PUT', body });
    }
    expect(api.files.replicateAfterCommit).toEqual([true, true, false, false]);
  });

  it('PUT ?w=N answers 504 when the holders are not reached, and the write stands', async () => {
    api.files.holdersReached = false;
    const res = await fetch(`${api.url}/v1/files/w?w=3&timeout=1s`, { method: 'PUT', body: 'w' });
    expect(res.status).toBe(504);
    expect(await errorCodeOf(res)).toBe('TIMEOUT');
    expect(api.files.entries.has('w')).toBe(true);
    api.files.holdersReached = true;
    expect((await fetch(`${api.url}/v1/files/w2?w=3`, { method: 'PUT', body: 'w' })).status).toBe(
      201,
    );
    expect(
      (await fetch(`${api.url}/v1/files/w3?w=zero`, { method: 'PUT', body: 'w' })).status,
    ).toBe(400);
  });
});

describe('long waits', () => {
  beforeEach(async () => {
    api = await startTestApi();
  });

  it('PUT ?w=N&timeout=30d waits, clamped to the API maximum, instead of timing out at once', async () => {
    api.files.holdersReached = 'wait';
    const put = fetch(`${api.url}/v1/files/long?w=3&timeout=30d`, { method: 'PUT', body: 'x' });
    await waitFor(() => api.files.holderWaits.length === 1);
    expect(api.files.holderWaits).toEqual([DEFAULT_TUNABLES.http.writeWaitMaxMs]);
    // An overflowing 30-day timer fires after 1 ms, before this 20 ms one.
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 20));
    expect(api.files.holderWaitsTimedOut).toBe(0);
    api.files.releaseHolders();
    expect((await put).status).toBe(201);
  });
});

describe('ranges', () => {
  beforeEach(async () => {
    api = await startTestApi();
    await fetch(`${api.url}/v1/files/r`, { method: 'PUT', body: '0123456789' });
  });

  it.each([
    ['bytes=0-3', '0123', 'bytes 0-3/10'],
    ['bytes=7-', '789', 'bytes 7-9/10'],
    ['bytes=-2', '89', 'bytes 8-9/10'],
    ['bytes=5-100', '56789', 'bytes 5-9/10'],
    ['bytes=-50', '0123456789', 'bytes 0-9/10'],
  ])('Range %s answers 206 with the selected bytes', async (range, body, contentRange) => {
    const res = await fetch(`${api.url}/v1/files/r`, { headers: { range } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(contentRange);
    expect(res.headers.get('content-length')).toBe(String(body.length));
    expect(await res.text()).toBe(body);
  });

  it.each([
    'bytes=10-',
    'bytes=5-2',
    'bytes=x-1',
    'bytes=-0',
    'bytes=0-1,3-4',
    'items=0-1',
    'bytes=-',
  ])('Range %s answers 416 with the file size', async (range) => {
    const res = await fetch(`${api.url}/v1/files/r`, { headers: { range } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe('bytes */10');
    expect(await errorCodeOf(res)).toBe('RANGE_NOT_SATISFIABLE');
  });
});

describe('listing, cluster, health and metrics', () => {
  beforeEach(async () => {
    api = await startTestApi();
  });

  it('lists by prefix in pages joined by the next cursor', async () => {
    for (const name of ['a/1', 'a/2', 'a/3', 'b/1']) {
      await fetch(`${api.url}/v1/files/${encodeURIComponent(name)}`, { method: 'PUT', body: name });
    }
    const first = (await (await fetch(`${api.url}/v1/files?prefix=a/&limit=2`)).json()) as {
      files: { name: string; size: number; modified: number }[];
      next: string | null;
    };
    expect(first.files.map((f) => f.name)).toEqual(['a/1', 'a/2']);
    expect(first.files[0]).toMatchObject({ size: 3, sha256: sha('a/1') });
    expect(first.next).not.toBeNull();
    const second = (await (
      await fetch(`${api.url}/v1/files?prefix=a/&limit=2&cursor=${first.next}`)
    ).json()) as {
      files: { name: string }[];
      next: string | null;
    };
    expect(second.files.map((f) => f.name)).toEqual(['a/3']);
    expect(second.next).toBeNull();
    for (const limit of ['0', '1001', 'x', '-1']) {
      expect((await fetch(`${api.url}/v1/files?limit=${limit}`)).status).toBe(400);
    }
  });

  it('reports the cluster with self and every member', async () => {
    const body = (await (await fetch(`${api.url}/v1/cluster`)).json()) as {
      self: { id: string };
      members: { id: string; state: string }[];
    };
    expect(body.self.id).toBe('node-a');
    expect(body.members.map((m) => [m.id, m.state])).toEqual([
      ['node-a', 'alive'],
      ['node-b', 'dead'],
    ]);
  });

  it('health is 200 when serving and 503 while starting or stopping', async () => {
    api.setLifecycle('starting');
    const starting = await fetch(`${api.url}/v1/health`);
    expect(starting.status).toBe(503);
    expect(((await starting.json()) as { status: string }).status).toBe('starting');
    expect((await fetch(`${api.url}/v1/files`)).status).toBe(503);
    api.setLifecycle('serving');
    const ok = await fetch(`${api.url}/v1/health`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ status: 'ok', id: 'node-a', members: 1, files: 0 });
    api.setLifecycle('stopping');
    const stopping = await fetch(`${api.url}/v1/health`);
    expect(stopping.status).toBe(503);
    expect(((await stopping.json()) as { status: string }).status).toBe('stopping');
    const put = await fetch(`${api.url}/v1/files/late`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(503);
    expect(await errorCodeOf(put)).toBe('UNAVAILABLE');
  });

  it('metrics are Prometheus text with files, members by state and request latencies', async () => {
    await fetch(`${api.url}/v1/files/m`, { method: 'PUT', body: 'metric' });
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).toMatch(/^dfs_files 1$/m);
    expect(text).toMatch(/^dfs_bytes 6$/m);
    expect(text).toMatch(/^dfs_members\{state="dead"\} 1$/m);
    expect(text).toMatch(
      /dfs_http_request_duration_seconds_count\{method="PUT",route="file",status="201"\} 1/,
    );
    expect(text).toMatch(/^dfs_http_body_bytes_total\{direction="in"\} 6$/m);
  });

  it('unknown paths are 404 and wrong methods 405 with Allow', async () => {
    const unknown = await fetch(`${api.url}/v2/nothing`);
    expect(unknown.status).toBe(404);
    expect(await errorCodeOf(unknown)).toBe('NOT_FOUND');
    const wrong = await fetch(`${api.url}/v1/cluster`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });
});

describe('API token', () => {
  beforeEach(async () => {
    api = await startTestApi({ apiToken: 's3cret' });
  });

  it('every call but /v1/health needs the bearer token', async () => {
    expect((await fetch(`${api.url}/v1/health`)).status).toBe(200);
    for (const path of ['/v1/files', '/v1/cluster', '/metrics', '/v1/files/x']) {
      const res = await fetch(`${api.url}${path}`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(await errorCodeOf(res)).toBe('UNAUTHORIZED');
      const wrong = await fetch(`${api.url}${path}`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
    }
    const put = await fetch(`${api.url}/v1/files/x`, { method: 'PUT', body: 'x' });
    expect(put.status).toBe(401);
    expect(api.files.entries.size).toBe(0);
    const ok = await fetch(`${api.url}/v1/files`, { headers: { authorization: 'Bearer s3cret' } });
    expect(ok.status).toBe(200);
  });
});

/** A request with exact control over the path and chunked bodies (fetch normalises paths). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  body: string | string[],
): Promise<{ status: number; body: string }> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    if (Array.isArray(body)) {
      req.setHeader('transfer-encoding', 'chunked');
      for (const part of body) req.write(part);
      req.end();
    } else {
      req.end(body);
    }
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

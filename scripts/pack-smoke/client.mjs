// Runs in a temp project where @dfs/client was installed from its packed tarball: a tiny fake node
// (node:http, nothing else) and a put/get round trip through the client.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createClient, isDfsClientError } from '@dfs/client';

const files = new Map();
const server = createServer(async (req, res) => {
  const name = decodeURIComponent(new URL(req.url, 'http://x').pathname.slice('/v1/files/'.length));
  if (req.method === 'PUT') {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(body).digest('hex');
    files.set(name, { body, sha256 });
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ name, size: body.length, sha256, version: '1' }));
    return;
  }
  const file = files.get(name);
  if (!file) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no such file' } }));
    return;
  }
  res.writeHead(200, { 'content-length': file.body.length, etag: `"${file.sha256}"` });
  res.end(file.body);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const dfs = createClient({ nodes: `127.0.0.1:${server.address().port}`, retries: 0 });
  const body = Buffer.from([0, 1, 2, 255, 254]);
  const stored = await dfs.put('smoke/bin', body);
  assert.equal(stored.size, body.length);
  assert.deepEqual(await dfs.getBuffer('smoke/bin'), body);
  await assert.rejects(dfs.getBuffer('missing'), (error) =>
    isDfsClientError(error, 'ERR_NOT_FOUND'),
  );
} finally {
  server.close();
}

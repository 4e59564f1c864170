/**
 * The S3 listener over a FakeFileService, with requests signed by the AWS signer: what the SDK
 * end-to-end tests cannot reach — virtual-host addressing, refused digests, unsupported operations.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '@dfs/transport';
import { MultipartUploads } from '../src/s3/multipart-store.js';
import { createS3Listener } from '../src/s3/server.js';
import { FakeFileService } from './support/fake-file-service.js';

const signer = new SignatureV4({
  credentials: { accessKeyId: 'AK', secretAccessKey: 'secret' },
  region: 'us-east-1',
  service: 's3',
  sha256: Sha256,
  uriEscapePath: false,
});

let server: http.Server;
let port: number;
let files: FakeFileService;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dfs-s3-listener-'));
  files = new FakeFileService();
  const uploads = new MultipartUploads(dir, systemClock, 1 << 20, { fsync: false });
  await uploads.start();
  server = http.createServer(
    createS3Listener({
      files,
      keys: new Map([['AK', 'secret']]),
      region: 'us-east-1',
      domain: 's3.test',
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      maxFileSize: 1 << 20,
      shutdown: new AbortController().signal,
      uploads,
    }),
  );
  server.on('close', () => uploads.stop());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

/** A request signed for `host` (what the client thinks it talks to), sent to our port. */
async function send(
  method: string,
  pathname: string,
  options: {
    host?: string;
    body?: string;
    headers?: Record<string, string>;
    query?: Record<string, string>;
  } = {},
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const host = options.host ?? `127.0.0.1:${port}`;
  const body = options.body ?? '';
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: host.split(':')[0] as string,
    path: pathname,
    query: options.query ?? {},
    headers: {
      host,
      'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      ...options.headers,
    },
  });
  const query = new URLSearchParams(options.query ?? {}).toString();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method,
        path: `${pathname}${query ? `?${query}` : ''}`,
        headers: signed.headers,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (t: string) => (text += t));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (text: string): string | undefined => /<Code>([^<]+)<\/Code>/.exec(text)?.[1];

describe('the S3 listener', () => {
  it('serves virtual-host-style requests under --s3-domain like path-style ones', async () => {
    expect((await send('PUT', '/', { host: `vhost.s3.test:${port}` })).status).toBe(200);
    expect(
      (await send('PUT', '/dir/a.txt', { host: `vhost.s3.test:${port}`, body: 'hi' })).status,
    ).toBe(200);
    expect(files.entries.has('vhost/dir/a.txt')).toBe(true);
    const got = await send('GET', '/vhost/dir/a.txt');
    expect([got.status, got.text]).toEqual([200, 'hi']);
    expect(got.headers['x-amz-request-id']).toMatch(/^[0-9A-F]{16}$/);
  });

  it('refuses a body that does not match its signed sha256, Content-MD5 or checksum, and keeps nothing', async () => {
    await send('PUT', '/bkt');
    const wrongSha = await send('PUT', '/bkt/a', {
      body: 'hello',
      headers: { 'x-amz-content-sha256': createHash('sha256').update('other').digest('hex') },
    });
    expect([wrongSha.status, codeOf(wrongSha.text)]).toEqual([400, 'XAmzContentSHA256Mismatch']);
    const wrongMd5 = await send('PUT', '/bkt/b', {
      body: 'hello',
      headers: { 'content-md5': createHash('md5').update('other').digest('base64') },
    });
    expect([wrongMd5.status, codeOf(wrongMd5.text)]).toEqual([400, 'BadDigest']);
    const wrongCrc = await send('PUT', '/bkt/c', {
      body: 'hello',
      headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
    });
    expect([wrongCrc.status, codeOf(wrongCrc.text)]).toEqual([400, 'BadDigest']);
    const rightCrc = await send('PUT', '/bkt/d', {
      body: 'hello',
      headers: { 'x-amz-checksum-crc32': 'NhCmhg==' },
    });
    expect(rightCrc.status).toBe(200);
    expect([...files.entries.keys()].sort()).toEqual(['bkt/', 'bkt/d']);
  });

  it('answers unsupported sub-resources NotImplemented and wrong methods MethodNotAllowed', async () => {
    await send('PUT', '/bkt');
    const acl = await send('GET', '/bkt', { query: { acl: '' } });
    expect([acl.status, codeOf(acl.text)]).toEqual([501, 'NotImplemented']);
    const post = await send('POST', '/bkt/k');
    expect([post.status, codeOf(post.text)]).toEqual([405, 'MethodNotAllowed']);
    const badBucket = await send('PUT', '/Bad_Bucket');
    expect([badBucket.status, codeOf(badBucket.text)]).toEqual([400, 'InvalidBucketName']);
  });

  it('refuses user metadata over 2 KiB and objects over the size limit', async () => {
    await send('PUT', '/bkt');
    const meta = await send('PUT', '/bkt/m', {
      body: 'x',
      headers: { 'x-amz-meta-big': 'v'.repeat(2048) },
    });
    expect([meta.status, codeOf(meta.text)]).toEqual([400, 'MetadataTooLarge']);
    const big = await send('PUT', '/bkt/big', { body: 'x'.repeat((1 << 20) + 1) });
    expect([big.status, codeOf(big.text)]).toEqual([400, 'EntityTooLarge']);
    expect(files.entries.has('bkt/m') || files.entries.has('bkt/big')).toBe(false);
  });

  it('pages ListMultipartUploads with key and upload-id markers', async () => {
    await send('PUT', '/bkt');
    const ids: string[] = [];
    for (const key of ['a', 'a', 'b']) {
      const created = await send('POST', `/bkt/${key}`, { query: { uploads: '' } });
      ids.push(/<UploadId>([^<]+)<\/UploadId>/.exec(created.text)?.[1] ?? '');
    }
    const first = await send('GET', '/bkt', { query: { uploads: '', 'max-uploads': '2' } });
    expect(first.text).toContain('<IsTruncated>true</IsTruncated>');
    const keyMarker = /<NextKeyMarker>([^<]+)</.exec(first.text)?.[1] ?? '';
    const idMarker = /<NextUploadIdMarker>([^<]+)</.exec(first.text)?.[1] ?? '';
    const second = await send('GET', '/bkt', {
      query: { uploads: '', 'key-marker': keyMarker, 'upload-id-marker': idMarker },
    });
    const listed = (text: string): string[] =>
      [...text.matchAll(/<UploadId>([^<]+)<\/UploadId>/g)].map((m) => m[1] as string);
    expect([...listed(first.text), ...listed(second.text)].sort()).toEqual([...ids].sort());
    expect(second.text).toContain('<IsTruncated>false</IsTruncated>');
    const afterA = await send('GET', '/bkt', { query: { uploads: '', 'key-marker': 'a' } });
    expect(listed(afterA.text)).toEqual([ids[2]]);
  });
});

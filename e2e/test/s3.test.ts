/**
 * The S3-compatible endpoint black-box, driven by the real AWS SDK for JavaScript (client-s3,
 * lib-storage, s3-request-presigner) against real node processes started with `--s3`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cluster, eventually, freePort, type NodeProcess } from '../src/node-process.js';
import { fileUrl, putFile, sha256 } from '../src/http.js';

const KEY = { accessKeyId: 'e2e-key', secretAccessKey: 'e2e-secret-0123456789' };
const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
afterAll(() => cluster.close());

const md5 = (data: Buffer | string): string => createHash('md5').update(data).digest('hex');

async function startS3Node(
  spec: {
    peers?: string[];
    dataDir?: string;
    port?: number;
    s3Port?: number;
    debug?: boolean;
  } = {},
): Promise<{ node: NodeProcess; endpoint: string; s3Port: number }> {
  const s3Port = spec.s3Port ?? (await freePort());
  const node = await cluster.start({
    ...(spec.peers ? { peers: spec.peers } : {}),
    ...(spec.dataDir ? { dataDir: spec.dataDir } : {}),
    ...(spec.port ? { port: spec.port } : {}),
    flags: [
      '--s3',
      `127.0.0.1:${s3Port}`,
      '--s3-key',
      `${KEY.accessKeyId}:${KEY.secretAccessKey}`,
      ...(spec.debug ? ['--log-level', 'debug'] : []),
    ],
  });
  const ready = node.stdout.split('\n').find((l) => l.startsWith('ready')) ?? '';
  const address = /s3=(\S+)/.exec(ready)?.[1];
  expect(address).toBe(`127.0.0.1:${s3Port}`);
  return { node, endpoint: `http://${address}`, s3Port };
}

function client(endpoint: string, credentials = KEY): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    maxAttempts: 1,
  });
}

async function text(body: unknown): Promise<string> {
  return (body as { transformToString(): Promise<string> }).transformToString();
}

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; status: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

describe('the S3 endpoint, through the AWS SDK', () => {
  it('serves buckets, objects, metadata, ranges, conditions, copies and deletes', async () => {
    const { node, endpoint } = await startS3Node();
    const view = (await (await fetch(`${node.url}/v1/cluster`)).json()) as { s3?: unknown };
    expect(view.s3).toEqual({ address: endpoint.replace('http://', ''), region: 'us-east-1' });
    const s3 = client(endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'photos' }));
    expect((await failure(s3.send(new CreateBucketCommand({ Bucket: 'photos' })))).name).toBe(
      'BucketAlreadyOwnedByYou',
    );
    await s3.send(new HeadBucketCommand({ Bucket: 'photos' }));
    expect((await failure(s3.send(new HeadBucketCommand({ Bucket: 'nope-bucket' })))).status).toBe(
      404,
    );
    const buckets = await s3.send(new ListBucketsCommand({}));
    expect(buckets.Buckets?.map((b) => b.Name)).toEqual(['photos']);

    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'photos',
        Key: 'cats/été 1.jpg',
        Body: 'meow meow',
        ContentType: 'image/jpeg',
        Metadata: { owner: 'ann', shot: '2024' },
      }),
    );
    expect(put.ETag).toBe(`"${md5('meow meow')}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'cats/été 1.jpg' }));
    expect(await text(got.Body)).toBe('meow meow');
    expect(got.ContentType).toBe('image/jpeg');
    expect(got.Metadata).toEqual({ owner: 'ann', shot: '2024' });
    expect(got.ETag).toBe(put.ETag);

    // Ranges.
    const range = await s3.send(
      new GetObjectCommand({ Bucket: 'photos', Key: 'cats/été 1.jpg', Range: 'bytes=5-' }),
    );
    expect(await text(range.Body)).toBe('meow');
    expect(range.ContentRange).toBe('bytes 5-8/9');
    expect(
      (
        await failure(
          s3.send(
            new GetObjectCommand({ Bucket: 'photos', Key: 'cats/été 1.jpg', Range: 'bytes=50-60' }),
          ),
        )
      ).status,
    ).toBe(416);

    // Conditions.
    const key = { Bucket: 'photos', Key: 'cats/été 1.jpg' };
    expect(
      (await failure(s3.send(new GetObjectCommand({ ...key, IfMatch: '"0000"' })))).status,
    ).toBe(412);
    expect(
      (await failure(s3.send(new GetObjectCommand({ ...key, IfNoneMatch: put.ETag })))).status,
    ).toBe(304);
    const future = new Date(Date.now() + 3_600_000);
    const past = new Date(Date.now() - 3_600_000);
    expect(
      (await failure(s3.send(new GetObjectCommand({ ...key, IfModifiedSince: future })))).status,
    ).toBe(304);
    expect(
      (await failure(s3.send(new GetObjectCommand({ ...key, IfUnmodifiedSince: past })))).status,
    ).toBe(412);
    await text(
      (await s3.send(new GetObjectCommand({ ...key, IfMatch: put.ETag, IfModifiedSince: past })))
        .Body,
    );
    expect(
      (await failure(s3.send(new PutObjectCommand({ ...key, Body: 'x', IfNoneMatch: '*' }))))
        .status,
    ).toBe(412);

    // Head, missing keys and buckets.
    const head = await s3.send(new HeadObjectCommand(key));
    expect(head.ContentLength).toBe(9);
    expect(
      (await failure(s3.send(new GetObjectCommand({ Bucket: 'photos', Key: 'missing' })))).name,
    ).toBe('NoSuchKey');
    expect(
      (await failure(s3.send(new GetObjectCommand({ Bucket: 'nobucket', Key: 'k' })))).name,
    ).toBe('NoSuchBucket');
    expect(
      (await failure(s3.send(new PutObjectCommand({ Bucket: 'nobucket', Key: 'k', Body: 'x' }))))
        .name,
    ).toBe('NoSuchBucket');

    // Copy: metadata kept, or replaced.
    const copied = await s3.send(
      new CopyObjectCommand({
        Bucket: 'photos',
        Key: 'copy.jpg',
        CopySource: 'photos/cats/%C3%A9t%C3%A9%201.jpg',
      }),
    );
    expect(copied.CopyObjectResult?.ETag).toBe(put.ETag);
    expect(
      (await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'copy.jpg' }))).Metadata,
    ).toEqual({ owner: 'ann', shot: '2024' });
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'photos',
        Key: 'copy2.txt',
        CopySource: 'photos/copy.jpg',
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
        Metadata: { new: 'yes' },
      }),
    );
    const replaced = await s3.send(new HeadObjectCommand({ Bucket: 'photos', Key: 'copy2.txt' }));
    expect([replaced.ContentType, replaced.Metadata]).toEqual(['text/plain', { new: 'yes' }]);

    // The same object through the native API.
    const native = await fetch(fileUrl(node.url, 'photos/cats/été 1.jpg'));
    expect(native.headers.get('content-type')).toBe('image/jpeg');
    expect(await native.text()).toBe('meow meow');

    // Delete, batch delete, and a bucket deleted only when empty.
    expect((await failure(s3.send(new DeleteBucketCommand({ Bucket: 'photos' })))).name).toBe(
      'BucketNotEmpty',
    );
    await s3.send(new DeleteObjectCommand({ Bucket: 'photos', Key: 'copy.jpg' }));
    const batch = await s3.send(
      new DeleteObjectsCommand({
        Bucket: 'photos',
        Delete: {
          Objects: [{ Key: 'copy2.txt' }, { Key: 'cats/été 1.jpg' }, { Key: 'never-was' }],
        },
      }),
    );
    expect(batch.Deleted?.map((d) => d.Key).sort()).toEqual([
      'cats/été 1.jpg',
      'copy2.txt',
      'never-was',
    ]);
    await s3.send(new DeleteBucketCommand({ Bucket: 'photos' }));
    expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
  });

  it('lists V2 and V1 with prefix, delimiter, max-keys, tokens, start-after and markers', async () => {
    const { endpoint } = await startS3Node();
    const s3 = client(endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'list' }));
    const keys = ['a.txt', 'b/1', 'b/2', 'b/c/3', 'c', 'z😀', 'z\uff61'];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket: 'list', Key, Body: Key }));
    const all: string[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; page++) {
      const res = await s3.send(
        new ListObjectsV2Command({
          Bucket: 'list',
          MaxKeys: 2,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      all.push(...(res.Contents ?? []).map((c) => c.Key as string));
      if (!res.IsTruncated) break;
      token = res.NextContinuationToken;
    }
    // UTF-8 byte order: U+FF61 before U+1F600.
    expect(all).toEqual(['a.txt', 'b/1', 'b/2', 'b/c/3', 'c', 'z\uff61', 'z😀']);
    const rolled = await s3.send(new ListObjectsV2Command({ Bucket: 'list', Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((p) => p.Prefix)).toEqual(['b/']);
    expect(rolled.KeyCount).toBe(5);
    const inB = await s3.send(
      new ListObjectsV2Command({ Bucket: 'list', Prefix: 'b/', Delimiter: '/', StartAfter: 'b/1' }),
    );
    expect([inB.Contents?.map((c) => c.Key), inB.CommonPrefixes?.map((p) => p.Prefix)]).toEqual([
      ['b/2'],
      ['b/c/'],
    ]);
    const v1 = await s3.send(
      new ListObjectsCommand({ Bucket: 'list', Marker: 'b/c/3', MaxKeys: 1 }),
    );
    expect([v1.Contents?.map((c) => c.Key), v1.IsTruncated, v1.NextMarker]).toEqual([
      ['c'],
      true,
      'c',
    ]);
  });

  it('presigned URLs work until they expire; wrong keys and bad signatures are refused', async () => {
    const { node, endpoint } = await startS3Node({ debug: true });
    const s3 = client(endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'share' }));
    const putUrl = await getSignedUrl(
      s3,
      new PutObjectCommand({ Bucket: 'share', Key: 'up.txt' }),
      { expiresIn: 60 },
    );
    expect((await fetch(putUrl, { method: 'PUT', body: 'via presigned put' })).status).toBe(200);
    const getUrl = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: 'share', Key: 'up.txt' }),
      { expiresIn: 60 },
    );
    const got = await fetch(getUrl);
    expect([got.status, await got.text()]).toEqual([200, 'via presigned put']);
    const expired = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: 'share', Key: 'up.txt' }),
      { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) },
    );
    const late = await fetch(expired);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('<Code>AccessDenied</Code>');
    const tampered = getUrl.replace('up.txt', 'other.txt');
    const bad = await fetch(tampered);
    expect(bad.status).toBe(403);
    const body = await bad.text();
    expect(body).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(body).toMatch(/<RequestId>[0-9A-F]+<\/RequestId>/);

    const wrongSecret = client(endpoint, { ...KEY, secretAccessKey: 'not-the-secret' });
    expect(
      await failure(wrongSecret.send(new GetObjectCommand({ Bucket: 'share', Key: 'up.txt' }))),
    ).toEqual({ name: 'SignatureDoesNotMatch', status: 403 });
    const unknownKey = client(endpoint, { accessKeyId: 'nobody', secretAccessKey: 'x' });
    expect(await failure(unknownKey.send(new ListBucketsCommand({})))).toEqual({
      name: 'InvalidAccessKeyId',
      status: 403,
    });
    const anonymous = await fetch(`${endpoint}/share/up.txt`);
    expect(anonymous.status).toBe(403);
    // Every request was logged (debug), none with a secret or a signature.
    expect(node.stderr).toContain('s3 request');
    expect(node.stderr).not.toContain(KEY.secretAccessKey);
    expect(node.stderr).not.toMatch(/Signature=|X-Amz-Signature/);
  });

  it('an object put through S3 on one node reads through /v1/files on another, and the other way', async () => {
    const first = await startS3Node();
    const second = await startS3Node({ peers: [first.node.address] });
    const s3 = client(first.endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'shared' }));
    const body = randomBytes(300_000);
    await s3.send(
      new PutObjectCommand({
        Bucket: 'shared',
        Key: 'from-s3.bin',
        Body: body,
        ContentType: 'application/x-test',
      }),
    );
    const native = await eventually(
      async () => {
        const res = await fetch(fileUrl(second.node.url, 'shared/from-s3.bin'));
        return res.status === 200 ? res : undefined;
      },
      { what: 'the S3 object on the other node' },
    );
    expect(native.headers.get('content-type')).toBe('application/x-test');
    expect(sha256(Buffer.from(await native.arrayBuffer()))).toBe(sha256(body));

    const nativeBody = randomBytes(100_000);
    expect((await putFile(second.node.url, 'shared/from-native.bin', nativeBody)).status).toBe(201);
    const viaS3 = await eventually(
      async () => {
        try {
          return await s3.send(new GetObjectCommand({ Bucket: 'shared', Key: 'from-native.bin' }));
        } catch {
          return undefined;
        }
      },
      { what: 'the native file through S3 on the first node' },
    );
    const bytes = Buffer.from(
      await (viaS3.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(sha256(bytes)).toBe(sha256(nativeBody));
    // No MD5 was computed for it: the ETag is its sha256, which no client takes for an MD5.
    expect(viaS3.ETag).toBe(`"${sha256(nativeBody)}"`);
  });
});

describe('multipart uploads', () => {
  it('assembles 256 MiB uploaded as parts by several clients, with the multipart ETag', async () => {
    const { node, endpoint } = await startS3Node();
    const clients = [client(endpoint), client(endpoint), client(endpoint)];
    const [s3] = clients as [S3Client];
    await s3.send(new CreateBucketCommand({ Bucket: 'big' }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: 'big',
        Key: 'blob.bin',
        ContentType: 'application/x-blob',
      }),
    );
    const partSize = 8 * 1024 * 1024;
    const count = 32;
    const partBody = (n: number): Buffer => Buffer.alloc(partSize, n);
    const etags: string[] = [];
    // Three clients, each uploading its share of the parts concurrently.
    await Promise.all(
      clients.map(async (c, i) => {
        for (let n = i + 1; n <= count; n += clients.length) {
          const res = await c.send(
            new UploadPartCommand({
              Bucket: 'big',
              Key: 'blob.bin',
              UploadId,
              PartNumber: n,
              Body: partBody(n),
            }),
          );
          etags[n - 1] = res.ETag as string;
        }
      }),
    );
    const listed = await s3.send(
      new ListPartsCommand({ Bucket: 'big', Key: 'blob.bin', UploadId }),
    );
    expect(listed.Parts?.length).toBe(count);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'big' }));
    expect(uploads.Uploads?.map((u) => u.UploadId)).toEqual([UploadId]);
    const done = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'big',
        Key: 'blob.bin',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const combined = createHash('md5');
    const whole = createHash('sha256');
    for (let n = 1; n <= count; n++) {
      combined.update(Buffer.from(md5(partBody(n)), 'hex'));
      whole.update(partBody(n));
    }
    expect(done.ETag).toBe(`"${combined.digest('hex')}-${count}"`);
    const head = await fetch(fileUrl(node.url, 'blob.bin'.replace(/^/, 'big/')), {
      method: 'HEAD',
    });
    expect(head.headers.get('x-dfs-size')).toBe(String(partSize * count));
    expect(head.headers.get('x-dfs-sha256')).toBe(whole.digest('hex'));
    expect(head.headers.get('content-type')).toBe('application/x-blob');
    expect(
      (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'big' }))).Uploads ?? [],
    ).toEqual([]);
  });

  it('lib-storage uploads a stream in parts; a part too small or out of order is refused; abort removes', async () => {
    const { endpoint } = await startS3Node();
    const s3 = client(endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'lib' }));
    const data = randomBytes(13 * 1024 * 1024);
    const upload = new Upload({
      client: s3,
      params: { Bucket: 'lib', Key: 'stream.bin', Body: Readable.from([data]) },
      partSize: 5 * 1024 * 1024,
      queueSize: 2,
    });
    const result = await upload.done();
    expect(result.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'lib', Key: 'stream.bin' }));
    expect(
      sha256(
        Buffer.from(
          await (
            got.Body as { transformToByteArray(): Promise<Uint8Array> }
          ).transformToByteArray(),
        ),
      ),
    ).toBe(sha256(data));

    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'lib', Key: 'small' }),
    );
    const p1 = await s3.send(
      new UploadPartCommand({ Bucket: 'lib', Key: 'small', UploadId, PartNumber: 1, Body: 'tiny' }),
    );
    const p2 = await s3.send(
      new UploadPartCommand({ Bucket: 'lib', Key: 'small', UploadId, PartNumber: 2, Body: 'tail' }),
    );
    const parts = [
      { ETag: p1.ETag, PartNumber: 1 },
      { ETag: p2.ETag, PartNumber: 2 },
    ];
    const complete = (list: typeof parts): Promise<unknown> =>
      s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: 'lib',
          Key: 'small',
          UploadId,
          MultipartUpload: { Parts: list },
        }),
      );
    expect((await failure(complete(parts))).name).toBe('EntityTooSmall');
    expect((await failure(complete([...parts].reverse()))).name).toBe('InvalidPartOrder');
    expect(
      (await failure(complete([{ ETag: '"00000000000000000000000000000000"', PartNumber: 1 }])))
        .name,
    ).toBe('InvalidPart');
    expect(
      (
        await failure(
          s3.send(
            new UploadPartCommand({
              Bucket: 'lib',
              Key: 'small',
              UploadId,
              PartNumber: 10001,
              Body: 'x',
            }),
          ),
        )
      ).status,
    ).toBe(400);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'lib', Key: 'small', UploadId }));
    expect(
      (await failure(s3.send(new ListPartsCommand({ Bucket: 'lib', Key: 'small', UploadId }))))
        .name,
    ).toBe('NoSuchUpload');
  });

  it('a node killed (kill -9) between parts keeps every acknowledged part', async () => {
    const { node, endpoint, s3Port } = await startS3Node();
    const s3 = client(endpoint);
    await s3.send(new CreateBucketCommand({ Bucket: 'crash' }));
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: 'crash', Key: 'k.bin' }),
    );
    const bodies = [1, 2, 3].map((n) => Buffer.alloc(5 * 1024 * 1024 + n, n));
    const etags: string[] = [];
    for (const n of [1, 2]) {
      const res = await s3.send(
        new UploadPartCommand({
          Bucket: 'crash',
          Key: 'k.bin',
          UploadId,
          PartNumber: n,
          Body: bodies[n - 1],
        }),
      );
      etags.push(res.ETag as string);
    }
    node.kill('SIGKILL');
    await node.exited;
    const again = await startS3Node({ dataDir: node.spec.dataDir, port: node.spec.port, s3Port });
    const s3b = client(again.endpoint);
    const listed = await s3b.send(
      new ListPartsCommand({ Bucket: 'crash', Key: 'k.bin', UploadId }),
    );
    expect(listed.Parts?.map((p) => [p.PartNumber, p.ETag, p.Size])).toEqual([
      [1, etags[0], bodies[0]!.length],
      [2, etags[1], bodies[1]!.length],
    ]);
    const third = await s3b.send(
      new UploadPartCommand({
        Bucket: 'crash',
        Key: 'k.bin',
        UploadId,
        PartNumber: 3,
        Body: bodies[2],
      }),
    );
    etags.push(third.ETag as string);
    await s3b.send(
      new CompleteMultipartUploadCommand({
        Bucket: 'crash',
        Key: 'k.bin',
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    const got = await s3b.send(new GetObjectCommand({ Bucket: 'crash', Key: 'k.bin' }));
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(sha256(bytes)).toBe(sha256(Buffer.concat(bodies)));
  });
});

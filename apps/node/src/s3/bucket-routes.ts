/**
 * The S3 bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket (only when empty),
 * GetBucketLocation and ListObjects V1/V2. A bucket exists while its marker file `b/` does; its
 * objects are the dfs names under `b/` (docs/s3.md).
 */
import {
  MAX_LIST_ARGUMENT_BYTES,
  S3Error,
  awsUriEncode,
  decodeContinuationToken,
  encodeContinuationToken,
  laterMarker,
  listPage,
  parseCreateBucket,
  parseMaxKeys,
  type XmlObject,
} from '@dfs/s3';
import { listCursorAfter, type FileInfo, type FileService } from '@dfs/replication';
import { Readable } from 'node:stream';
import { bucketMarker, bucketProblem } from './address.js';
import type { S3Context, S3Options } from './context.js';
import { s3Etag } from './object-meta.js';
import { readSmallBody } from './small-body.js';
import { sendEmpty, sendXml } from './respond.js';

const OWNER = { ID: 'dfs', DisplayName: 'dfs' };
/** dfs listing page size while scanning. */
const SCAN_PAGE = 1000;
const FIRST_PAGE = 32;
/** Top-level names ListBuckets looks at (one small listing each). */
const MAX_BUCKET_SCANS = 100_000;

/** Items of `files` under `prefix` (dfs names) after `after`, all pages, as S3 keys under `strip`. */
export async function* listedObjects(
  files: FileService,
  prefix: string,
  strip: number,
  after: string | undefined,
): AsyncIterable<{ key: string; info: FileInfo }> {
  let cursor = after === undefined ? undefined : listCursorAfter(after);
  // Small first pages: a listing that jumps past a common prefix reopens this often.
  for (let limit = FIRST_PAGE; ; limit = Math.min(limit * 4, SCAN_PAGE)) {
    const page = await files.list({
      prefix,
      limit,
      ...(cursor === undefined ? {} : { cursor }),
    });
    for (const info of page.files) {
      const key = info.name.slice(strip);
      if (key !== '') yield { key, info };
    }
    if (page.next === undefined) return;
    cursor = page.next;
  }
}

export async function bucketExists(
  files: FileService,
  bucket: string,
  signal: AbortSignal,
): Promise<boolean> {
  return (await files.stat(bucketMarker(bucket), { signal })) !== undefined;
}

export async function requireBucket(
  files: FileService,
  bucket: string,
  signal: AbortSignal,
): Promise<void> {
  if (!(await bucketExists(files, bucket, signal))) {
    throw new S3Error('NoSuchBucket', 'the specified bucket does not exist');
  }
}

function isoDate(ms: number): string {
  return new Date(ms).toISOString();
}

export function createBucketRoutes(options: S3Options) {
  const { files } = options;

  /** Every name `x/` that is a bucket marker, scanning top-level names and jumping over each. */
  async function listBuckets({ res }: S3Context): Promise<void> {
    const buckets: XmlObject[] = [];
    let cursor: string | undefined;
    for (let scans = 0; scans < MAX_BUCKET_SCANS; scans++) {
      const page = await files.list({ limit: 1, ...(cursor === undefined ? {} : { cursor }) });
      const first = page.files[0];
      if (first === undefined) break;
      const slash = first.name.indexOf('/');
      if (slash < 0) {
        cursor = listCursorAfter(first.name);
        continue;
      }
      const top = first.name.slice(0, slash);
      if (first.name === bucketMarker(top) && bucketProblem(top) === undefined) {
        buckets.push({ Name: top, CreationDate: isoDate(first.modified) });
      }
      // Past every name under `top/`: none of them (≤ 1,024 bytes) sorts after `top/` followed by
      // the largest code point up to that length.
      cursor = listCursorAfter(`${top}/${'\u{10FFFF}'.repeat(255)}`);
    }
    sendXml(res, 200, 'ListAllMyBucketsResult', { Owner: OWNER, Buckets: { Bucket: buckets } });
  }

  async function createBucket({ req, res, bucket, signal, verified }: S3Context): Promise<void> {
    const name = bucket as string;
    const location = parseCreateBucket(await readSmallBody(req, verified));
    if (location !== undefined && location !== '' && location !== options.region) {
      throw new S3Error(
        'InvalidArgument' /* IllegalLocationConstraint */,
        `this endpoint serves region ${options.region}`,
      );
    }
    if (await bucketExists(files, name, signal)) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'your previous request to create the named bucket succeeded and you already own it',
      );
    }
    await files.put(bucketMarker(name), Readable.from([]), {
      signal,
      meta: { contentType: 'application/x-directory' },
    });
    sendEmpty(res, 200, { location: `/${name}` });
  }

  async function headBucket({ res, bucket, signal }: S3Context): Promise<void> {
    await requireBucket(files, bucket as string, signal);
    sendEmpty(res, 200, { 'x-amz-bucket-region': options.region });
  }

  async function deleteBucket({ res, bucket, signal }: S3Context): Promise<void> {
    const name = bucket as string;
    await requireBucket(files, name, signal);
    const page = await files.list({ prefix: bucketMarker(name), limit: 2 });
    if (page.files.some((f) => f.name !== bucketMarker(name))) {
      throw new S3Error('BucketNotEmpty', 'the bucket you tried to delete is not empty');
    }
    if (await options.uploads.hasUploads(name)) {
      throw new S3Error(
        'BucketNotEmpty',
        'the bucket you tried to delete has multipart uploads in progress',
      );
    }
    await files.delete(bucketMarker(name), { signal });
    sendEmpty(res, 204);
  }

  async function getLocation({ res, bucket, signal }: S3Context): Promise<void> {
    await requireBucket(files, bucket as string, signal);
    // us-east-1 is an empty LocationConstraint in S3.
    sendXml(res, 200, 'LocationConstraint', {
      '#text': options.region === 'us-east-1' ? '' : options.region,
    });
  }

  function argument(query: URLSearchParams, name: string): string | undefined {
    const value = query.get(name) ?? undefined;
    if (value !== undefined && Buffer.byteLength(value) > MAX_LIST_ARGUMENT_BYTES) {
      throw new S3Error(
        'InvalidArgument',
        `${name} is longer than ${MAX_LIST_ARGUMENT_BYTES} bytes`,
      );
    }
    return value;
  }

  async function listObjects({ res, bucket, query, signal }: S3Context): Promise<void> {
    const name = bucket as string;
    await requireBucket(files, name, signal);
    const v2 = query.get('list-type') === '2';
    if (query.has('list-type') && !v2) throw new S3Error('InvalidArgument', 'list-type must be 2');
    const prefix = argument(query, 'prefix') ?? '';
    const delimiter = argument(query, 'delimiter') || undefined;
    const maxKeys = parseMaxKeys(query.get('max-keys'));
    const encoding = query.get('encoding-type');
    if (encoding !== null && encoding !== 'url')
      throw new S3Error('InvalidArgument', 'encoding-type must be url');
    const encode = (text: string): string => (encoding === 'url' ? awsUriEncode(text, true) : text);
    const token = v2 ? (query.get('continuation-token') ?? undefined) : undefined;
    const startAfter = v2 ? argument(query, 'start-after') : argument(query, 'marker');
    const after = laterMarker(
      startAfter,
      token === undefined ? undefined : decodeContinuationToken(token),
    );
    const base = bucketMarker(name);
    // Reopened past each common prefix by listPage (a dfs cursor can start after any name).
    const source = (at: string | undefined): AsyncIterable<{ key: string; info: FileInfo }> =>
      listedObjects(files, base + prefix, base.length, at === undefined ? undefined : base + at);
    const page = await listPage(source, {
      prefix,
      ...(delimiter ? { delimiter } : {}),
      maxKeys,
      ...(after === undefined ? {} : { after }),
    });
    const contents = page.contents.map(({ key, info }) => ({
      Key: encode(key),
      LastModified: isoDate(info.modified),
      ETag: s3Etag(info),
      Size: info.size,
      StorageClass: 'STANDARD',
      ...(v2 ? {} : { Owner: OWNER }),
    }));
    const common = page.commonPrefixes.map((p) => ({ Prefix: encode(p) }));
    const body: XmlObject = {
      Name: name,
      Prefix: encode(prefix),
      ...(delimiter ? { Delimiter: encode(delimiter) } : {}),
      MaxKeys: maxKeys,
      ...(encoding === null ? {} : { EncodingType: 'url' }),
      IsTruncated: page.isTruncated,
      Contents: contents,
      CommonPrefixes: common,
    };
    if (v2) {
      body.KeyCount = contents.length + common.length;
      if (token !== undefined) body.ContinuationToken = token;
      if (startAfter !== undefined) body.StartAfter = encode(startAfter);
      if (page.next !== undefined) body.NextContinuationToken = encodeContinuationToken(page.next);
    } else {
      body.Marker = encode(startAfter ?? '');
      // S3 sends NextMarker only with a delimiter; sending it always is allowed and saves clients work.
      if (page.next !== undefined) body.NextMarker = encode(page.next);
    }
    sendXml(res, 200, 'ListBucketResult', body);
  }

  return { listBuckets, createBucket, headBucket, deleteBucket, getLocation, listObjects };
}

/**
 * The S3 object operations: PutObject, GetObject (ranges, conditions, `response-*` overrides),
 * HeadObject, DeleteObject, DeleteObjects and CopyObject. Bodies stream from the request to the
 * file service and from the file service to the response; the MD5 of an upload (its ETag) is
 * computed while it streams and stored with the version.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FileInfo } from '@dfs/replication';
import { S3Error, parseDeleteObjects, uriDecode, type XmlObject } from '@dfs/s3';
import { decideRange } from '../http/range.js';
import { guessContentType } from '../http/content-type.js';
import { dfsName, parseAddress } from './address.js';
import { requireBucket } from './bucket-routes.js';
import type { S3Context, S3Options } from './context.js';
import {
  checkReadConditions,
  checkWriteConditions,
  objectHeaders,
  s3Etag,
  userMetaOf,
  validatedMeta,
} from './object-meta.js';
import { declaredSize, md5Passing, uploadPayload } from './payload.js';
import { sendEmpty, sendXml, toS3Error } from './respond.js';
import { readSmallBody } from './small-body.js';

/** `response-*` query parameters a (presigned) GET may use to override answer headers. */
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function contentTypeOf(header: string | undefined, key: string): string {
  const given = header?.trim();
  return given !== undefined && given !== '' ? given : guessContentType(key);
}

export function createObjectRoutes(options: S3Options) {
  const { files } = options;

  async function statObject(bucket: string, key: string, signal: AbortSignal): Promise<FileInfo> {
    const info = await files.stat(dfsName(bucket, key), { signal });
    if (info !== undefined) return info;
    await requireBucket(files, bucket, signal);
    throw new S3Error('NoSuchKey', 'the specified key does not exist');
  }

  function tooLarge(size: number | undefined): void {
    if (size !== undefined && size > options.maxFileSize) {
      throw new S3Error(
        'EntityTooLarge',
        `your proposed upload exceeds the maximum allowed size (${options.maxFileSize} bytes)`,
      );
    }
  }

  async function putObject(ctx: S3Context): Promise<void> {
    const { req, res, signal, verified } = ctx;
    const bucket = ctx.bucket as string;
    const key = ctx.key as string;
    if (single(req.headers['x-amz-copy-source']) !== undefined) return copyObject(ctx);
    tooLarge(declaredSize(req));
    const meta = validatedMeta({
      contentType: contentTypeOf(single(req.headers['content-type']), key),
      userMeta: userMetaOf(req.headers),
    });
    await requireBucket(files, bucket, signal);
    if (req.headers['if-none-match'] !== undefined || req.headers['if-match'] !== undefined) {
      checkWriteConditions(req.headers, await files.stat(dfsName(bucket, key), { signal }));
    }
    const payload = uploadPayload(req, verified);
    let info: FileInfo;
    try {
      info = await files.put(dfsName(bucket, key), payload.stream, {
        signal,
        maxBytes: options.maxFileSize,
        meta: () => ({ ...meta, md5: payload.md5Hex() }),
      });
    } catch (error) {
      // A failed check or a refused body: stop reading the rest.
      req.resume();
      throw toS3Error(error);
    }
    sendEmpty(res, 200, { etag: s3Etag(info) });
  }

  async function sendObject(ctx: S3Context, head: boolean): Promise<void> {
    const { req, res, query, signal } = ctx;
    const bucket = ctx.bucket as string;
    const key = ctx.key as string;
    const info = await statObject(bucket, key, signal);
    try {
      checkReadConditions(req.headers, info);
    } catch (error) {
      if (error instanceof S3Error && error.code === 'NotModified') {
        const { etag, 'last-modified': lastModified } = objectHeaders(info);
        res.writeHead(304, { etag: etag as string, 'last-modified': lastModified as string });
        res.end();
        return;
      }
      throw error;
    }
    const headers: Record<string, string | number> = objectHeaders(info);
    for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = query.get(param);
      if (value !== null) headers[header] = value.replace(/[\r\n]/g, ' ');
    }
    const decision = decideRange(single(req.headers.range), info.size);
    if (decision.kind === 'unsatisfiable') {
      throw new S3Error('InvalidRange', 'the requested range is not satisfiable');
    }
    const range = decision.kind === 'partial' ? decision.range : undefined;
    if (range !== undefined) {
      headers['content-range'] = `bytes ${range.start}-${range.end}/${info.size}`;
      headers['content-length'] = range.end - range.start + 1;
    } else {
      headers['content-length'] = info.size;
    }
    if (head) {
      res.writeHead(range ? 206 : 200, headers);
      res.end();
      return;
    }
    const { info: served, stream } = await files.read(
      dfsName(bucket, key),
      range ? { range, signal } : { signal },
    );
    if (served.version !== info.version) {
      // A newer version arrived between stat and read: describe what is actually served.
      Object.assign(headers, objectHeaders(served));
      if (range === undefined) headers['content-length'] = served.size;
    }
    await sendStream(res, range ? 206 : 200, headers, stream);
  }

  async function sendStream(
    res: ServerResponse,
    status: number,
    headers: Record<string, string | number>,
    stream: Readable,
  ): Promise<void> {
    res.writeHead(status, headers);
    await pipeline(stream, res);
  }

  async function deleteObject({ res, signal, ...ctx }: S3Context): Promise<void> {
    const bucket = ctx.bucket as string;
    await requireBucket(files, bucket, signal);
    // Deleting a key that does not exist succeeds, as in S3.
    await files.delete(dfsName(bucket, ctx.key as string), { signal });
    sendEmpty(res, 204);
  }

  async function deleteObjects({ req, res, signal, verified, ...ctx }: S3Context): Promise<void> {
    const bucket = ctx.bucket as string;
    const request = parseDeleteObjects(await readSmallBody(req, verified));
    await requireBucket(files, bucket, signal);
    const deleted: XmlObject[] = [];
    const errors: XmlObject[] = [];
    for (const key of request.keys) {
      try {
        parseAddress(
          `/${encodeURIComponent(bucket)}/${encodeURIComponent(key)}`,
          undefined,
          undefined,
        );
        await files.delete(dfsName(bucket, key), { signal });
        if (!request.quiet) deleted.push({ Key: key });
      } catch (error) {
        const s3 = toS3Error(error);
        errors.push({ Key: key, Code: s3.code, Message: s3.message });
      }
    }
    sendXml(res, 200, 'DeleteResult', { Deleted: deleted, Error: errors });
  }

  /** The `x-amz-copy-source` of a copy: `[/]bucket/key[?versionId=…]`, percent-encoded. */
  function copySource(header: string): { bucket: string; key: string } {
    const [path = ''] = header.split('?', 1);
    const decoded = uriDecode(path);
    if (decoded === undefined)
      throw new S3Error('InvalidArgument', 'x-amz-copy-source is not valid percent-encoded UTF-8');
    const address = parseAddress(`/${encodeURI(decoded.replace(/^\//, ''))}`, undefined, undefined);
    if (address.bucket === undefined || address.key === undefined) {
      throw new S3Error('InvalidArgument', 'x-amz-copy-source must name a bucket and a key');
    }
    return { bucket: address.bucket, key: address.key };
  }

  async function copyObject(ctx: S3Context): Promise<void> {
    const { req, res, signal } = ctx;
    const bucket = ctx.bucket as string;
    const key = ctx.key as string;
    const source = copySource(single(req.headers['x-amz-copy-source']) as string);
    const sourceInfo = await statObject(source.bucket, source.key, signal);
    await requireBucket(files, bucket, signal);
    const ifMatch = single(req.headers['x-amz-copy-source-if-match']);
    if (
      ifMatch !== undefined &&
      !ifMatch
        .split(',')
        .map((t) => t.trim())
        .includes(s3Etag(sourceInfo))
    ) {
      throw new S3Error(
        'PreconditionFailed',
        'at least one of the pre-conditions you specified did not hold',
      );
    }
    const directive = single(req.headers['x-amz-metadata-directive']) ?? 'COPY';
    if (directive !== 'COPY' && directive !== 'REPLACE') {
      throw new S3Error('InvalidArgument', 'x-amz-metadata-directive must be COPY or REPLACE');
    }
    const meta =
      directive === 'REPLACE'
        ? validatedMeta({
            contentType: contentTypeOf(single(req.headers['content-type']), key),
            userMeta: userMetaOf(req.headers),
          })
        : {
            ...(sourceInfo.meta?.contentType ? { contentType: sourceInfo.meta.contentType } : {}),
            ...(sourceInfo.meta?.userMeta ? { userMeta: sourceInfo.meta.userMeta } : {}),
          };
    const sameObject = source.bucket === bucket && source.key === key;
    if (sameObject && directive === 'COPY') {
      throw new S3Error(
        'InvalidRequest',
        'this copy request is illegal because it is trying to copy an object to itself without changing the metadata',
      );
    }
    const { stream } = await files.read(dfsName(source.bucket, source.key), { signal });
    // The copy is a single-part object: its ETag is the MD5 of its bytes, computed as they pass.
    const hashed = md5Passing(stream);
    const info = await files.put(dfsName(bucket, key), hashed.stream, {
      signal,
      maxBytes: options.maxFileSize,
      meta: () => ({ ...meta, md5: hashed.md5Hex() }),
    });
    sendXml(res, 200, 'CopyObjectResult', {
      ETag: s3Etag(info),
      LastModified: new Date(info.modified).toISOString(),
    });
  }

  return {
    putObject,
    getObject: (ctx: S3Context) => sendObject(ctx, false),
    headObject: (ctx: S3Context) => sendObject(ctx, true),
    deleteObject,
    deleteObjects,
  };
}

/**
 * An object's S3 face: its ETag (the MD5 S3 clients expect, `<md5>-N` after a multipart upload, or
 * for a file written without an MD5 its sha256 — 64 hex digits, which no client takes for an MD5),
 * its user metadata as `x-amz-meta-*` headers and back, and the conditional-request rules of GET,
 * HEAD and PUT (`If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`). Pure.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { MAX_USER_META_BYTES, fileMetaSchema, type FileMeta } from '@dfs/api';
import type { FileInfo } from '@dfs/replication';
import { S3Error } from '@dfs/s3';

const META_PREFIX = 'x-amz-meta-';

export function s3Etag(info: FileInfo): string {
  return `"${info.meta?.md5 ?? info.sha256}"`;
}

/** User metadata from the `x-amz-meta-*` headers; `MetadataTooLarge` past 2 KiB. */
export function userMetaOf(headers: IncomingHttpHeaders): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith(META_PREFIX) || value === undefined) continue;
    meta[name.slice(META_PREFIX.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  return meta;
}

/** The metadata of a new version, validated against the shared bounds. */
export function validatedMeta(meta: FileMeta): FileMeta {
  const parsed = fileMetaSchema.safeParse(meta);
  if (parsed.success) return parsed.data;
  const user = meta.userMeta ?? {};
  const size = Object.entries(user).reduce(
    (n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v),
    0,
  );
  if (size > MAX_USER_META_BYTES) {
    throw new S3Error(
      'MetadataTooLarge',
      `your metadata headers exceed the maximum allowed metadata size (${MAX_USER_META_BYTES} bytes)`,
    );
  }
  throw new S3Error(
    'InvalidArgument',
    'Content-Type or x-amz-meta-* values must be printable ASCII; keys must be header tokens',
  );
}

/** The headers of an object answer (GET, HEAD): type, ETag, dates, user metadata. */
export function objectHeaders(info: FileInfo): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': info.meta?.contentType ?? 'application/octet-stream',
    etag: s3Etag(info),
    'last-modified': new Date(info.modified).toUTCString(),
    'accept-ranges': 'bytes',
  };
  for (const [key, value] of Object.entries(info.meta?.userMeta ?? {}))
    headers[`${META_PREFIX}${key}`] = value;
  return headers;
}

function etagList(header: string): string[] {
  return header.split(',').map((t) => t.trim().replace(/^W\//, ''));
}

function matches(header: string, info: FileInfo): boolean {
  const tags = etagList(header);
  return tags.includes('*') || tags.includes(s3Etag(info));
}

function dateOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const ms = Date.parse(header);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * What a GET or HEAD's conditions say about `info`: `PreconditionFailed` (412) or `NotModified`
 * (304) thrown, nothing when the body should be served. If-Match wins over If-Unmodified-Since and
 * If-None-Match over If-Modified-Since, as in RFC 9110 and S3. Dates compare at whole seconds.
 */
export function checkReadConditions(headers: IncomingHttpHeaders, info: FileInfo): void {
  const modified = Math.floor(info.modified / 1000) * 1000;
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, info))
      throw new S3Error(
        'PreconditionFailed',
        'at least one of the pre-conditions you specified did not hold',
      );
  } else {
    const since = dateOf(headers['if-unmodified-since']);
    if (since !== undefined && modified > since) {
      throw new S3Error(
        'PreconditionFailed',
        'at least one of the pre-conditions you specified did not hold',
      );
    }
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, info)) throw new S3Error('NotModified', 'not modified');
  } else {
    const since = dateOf(headers['if-modified-since']);
    if (since !== undefined && modified <= since) throw new S3Error('NotModified', 'not modified');
  }
}

/** A PUT's conditions (`If-None-Match: *` — create only; `If-Match` — replace only that ETag). */
export function checkWriteConditions(
  headers: IncomingHttpHeaders,
  current: FileInfo | undefined,
): void {
  const ifNoneMatch = headers['if-none-match'];
  const ifMatch = headers['if-match'];
  if (ifNoneMatch !== undefined && current !== undefined && matches(ifNoneMatch, current)) {
    throw new S3Error(
      'PreconditionFailed',
      'at least one of the pre-conditions you specified did not hold',
    );
  }
  if (ifMatch !== undefined && (current === undefined || !matches(ifMatch, current))) {
    throw new S3Error(
      current === undefined ? 'NoSuchKey' : 'PreconditionFailed',
      'at least one of the pre-conditions you specified did not hold',
    );
  }
}

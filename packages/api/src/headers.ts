/**
 * Header names of the API, lower-case as Node and fetch expose them. A file's metadata travels in
 * the `x-dfs-*` headers of `GET` and `HEAD /v1/files/<name>` (and of a `201` to `PUT`), beside the
 * standard `ETag` (the sha256 in quotes), `Last-Modified`, `Accept-Ranges` and `Content-Range`.
 */
export const HEADERS = {
  /** The file's whole size in bytes (also on a 206, whose Content-Length is the range's). */
  size: 'x-dfs-size',
  /** Lower-case hex sha256 of the whole file. */
  sha256: 'x-dfs-sha256',
  /** The version served: opaque, totally ordered. */
  version: 'x-dfs-version',
  /** Live nodes known to hold this version. */
  holders: 'x-dfs-holders',
  /**
   * Their node ids, comma-separated (ids never contain a comma), the answering node first when it
   * holds the version; at most `MAX_HOLDER_IDS` of them.
   */
  holderIds: 'x-dfs-holder-ids',
  /** Milliseconds since the epoch of the write (Last-Modified keeps whole seconds only). */
  modified: 'x-dfs-modified',
  etag: 'etag',
  lastModified: 'last-modified',
  acceptRanges: 'accept-ranges',
  contentRange: 'content-range',
  contentLength: 'content-length',
  contentType: 'content-type',
  contentDisposition: 'content-disposition',
  range: 'range',
  ifNoneMatch: 'if-none-match',
  authorization: 'authorization',
  wwwAuthenticate: 'www-authenticate',
  allow: 'allow',
  /** `307` to `GET`/`HEAD ?redirect=1`: a holder's API base URL plus the same path. */
  location: 'location',
  /** Upload session answers: the bytes the node holds durably (the next chunk's `?offset=`). */
  uploadOffset: 'upload-offset',
} as const;

/** The metadata of one version of a file, as its headers carry it. */
export interface FileHeaderFields {
  size: number;
  sha256: string;
  version: string;
  holders: number;
  modified: number;
  /** The holders' node ids (the header lists the first `MAX_HOLDER_IDS`). */
  holderIds?: readonly string[];
}

/** How many holder ids `X-Dfs-Holder-Ids` lists at most (a header stays well under 1 KiB). */
export const MAX_HOLDER_IDS = 32;

/** The `x-dfs-*` headers for a file's metadata: what a node sends with every file answer. */
export function fileHeaders(file: FileHeaderFields): Record<string, string> {
  return {
    [HEADERS.size]: String(file.size),
    [HEADERS.sha256]: file.sha256,
    [HEADERS.version]: file.version,
    [HEADERS.holders]: String(file.holders),
    [HEADERS.modified]: String(file.modified),
    ...(file.holderIds === undefined
      ? {}
      : { [HEADERS.holderIds]: file.holderIds.slice(0, MAX_HOLDER_IDS).join(',') }),
  };
}

/** The `ETag` of a version: its sha256, quoted (a strong validator). */
export function etagOf(sha256: string): string {
  return `"${sha256}"`;
}

/** The sha256 inside an `ETag` (strong or weak), or undefined for a missing header. */
export function sha256OfEtag(etag: string | null | undefined): string | undefined {
  return etag?.replace(/^W\//, '').replace(/"/g, '');
}

/** The `Content-Type` of every JSON answer. */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** The `Content-Type` of every file body. */
export const BODY_CONTENT_TYPE = 'application/octet-stream';

/**
 * The metadata one version of a file carries besides its bytes: a `Content-Type`, S3-style user
 * metadata (`x-amz-meta-*`) and an MD5 for S3 ETags. It is written once with the version and never
 * changes (a new put is a new version), so it replicates with the version's entry and merges trivially.
 *
 * Every field is optional, and so is the whole: files written before metadata existed, or through a
 * path that sets none, simply have none. The bounds are S3's where S3 has one (user metadata ≤ 2 KiB,
 * counted as the UTF-8 bytes of its keys and values) and are enforced here for every producer: the
 * HTTP API, the S3 endpoint, the wire and the index log all parse with `fileMetaSchema`.
 */
import { z } from 'zod';

/** Largest `contentType`, in characters (all printable ASCII, so also bytes). */
export const MAX_CONTENT_TYPE_LENGTH = 256;
/** Largest user metadata: the UTF-8 bytes of every key and value together (S3's limit). */
export const MAX_USER_META_BYTES = 2048;
/** Largest user metadata key, in characters. */
export const MAX_USER_META_KEY_LENGTH = 128;

/** Printable ASCII: what an HTTP header value can carry unencoded (no CR, LF or other controls). */
const PRINTABLE = /^[\x20-\x7e]*$/;
/** An HTTP token, lower-case (header names are case-insensitive; S3 lower-cases them). */
const META_KEY = /^[a-z0-9!#$%&'*+.^_`|~-]+$/;
/** Lower-case hex MD5, or S3's multipart form `<md5 of the parts' md5s>-<parts>`. */
const MD5 = /^[0-9a-f]{32}(-[1-9][0-9]{0,4})?$/;

export interface FileMeta {
  /** The media type given when the version was written (or guessed from its name). */
  readonly contentType?: string;
  /** User metadata: lower-case keys without the `x-amz-meta-` prefix, printable ASCII values. */
  readonly userMeta?: Readonly<Record<string, string>>;
  /**
   * Lower-case hex MD5 of the body, or for an object assembled from a multipart upload S3's
   * `<hex md5 of the concatenated binary part md5s>-<part count>`. Absent when nothing computed it
   * (the native API does not): then there is no MD5 ETag to give.
   */
  readonly md5?: string;
}

const utf8 = new TextEncoder();

/** The UTF-8 bytes user metadata counts against `MAX_USER_META_BYTES`. */
export function userMetaBytes(meta: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(meta)) {
    bytes += utf8.encode(key).length + utf8.encode(value).length;
  }
  return bytes;
}

const userMetaSchema = z
  .record(
    z.string().min(1).max(MAX_USER_META_KEY_LENGTH).regex(META_KEY),
    // The total bound below is checked after every value passed this one, so a huge value is
    // refused by its length before anything sums it.
    z.string().max(MAX_USER_META_BYTES).regex(PRINTABLE),
  )
  .refine((meta) => userMetaBytes(meta) <= MAX_USER_META_BYTES, {
    message: `user metadata exceeds ${MAX_USER_META_BYTES} bytes`,
  });

export const fileMetaSchema = z.object({
  contentType: z.string().min(1).max(MAX_CONTENT_TYPE_LENGTH).regex(PRINTABLE).optional(),
  userMeta: userMetaSchema.optional(),
  md5: z.string().regex(MD5).optional(),
});

/**
 * `meta` in canonical form: only the fields that are set, user metadata keys sorted, and undefined
 * when nothing is set. Two equal metadata give byte-equal JSON, which merge and equality rely on.
 */
export function canonicalFileMeta(meta: FileMeta | undefined): FileMeta | undefined {
  if (meta === undefined) return undefined;
  const out: { contentType?: string; userMeta?: Record<string, string>; md5?: string } = {};
  if (meta.contentType !== undefined) out.contentType = meta.contentType;
  if (meta.userMeta !== undefined && Object.keys(meta.userMeta).length > 0) {
    // fromEntries defines own properties, so even a key like `__proto__` stays plain data.
    out.userMeta = Object.fromEntries(
      Object.entries(meta.userMeta).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)),
    );
  }
  if (meta.md5 !== undefined) out.md5 = meta.md5;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** A total order key of metadata: '' for none, else its canonical JSON. */
export function fileMetaKey(meta: FileMeta | undefined): string {
  const canonical = canonicalFileMeta(meta);
  return canonical === undefined ? '' : JSON.stringify(canonical);
}

/**
 * `Content-Disposition` for a file answer: `inline`, with the last segment of the name as the
 * filename, percent-encoded as RFC 8187 `filename*=UTF-8''…` (so any Unicode name is safe in a
 * header), plus a plain ASCII `filename` fallback for old clients.
 */
export function contentDisposition(name: string): string {
  const last = name.slice(name.lastIndexOf('/') + 1);
  const encoded = encodeURIComponent(last).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  const ascii = last.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

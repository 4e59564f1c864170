/**
 * ListObjects (V1 and V2) pagination, as a pure function over keys in S3's order (the byte order of
 * their UTF-8, which is also the order dfs lists names in): prefix filtering, delimiter roll-up into
 * common prefixes, max-keys, and where the next page starts.
 *
 * A page starts after a marker: V1's `marker`, V2's `start-after` or continuation token (whichever
 * is later). When the last thing a page returned was a common prefix, the next page starts after
 * every key that rolls up into it — the marker is that prefix, and keys whose common prefix equals
 * the marker are skipped — so no key or prefix is ever returned twice and none is missed.
 * Continuation tokens are the marker, base64url-encoded (opaque to clients, as S3's are).
 */
import { S3Error } from './errors.js';

/** S3's cap on max-keys (a larger value is served as 1,000). */
export const MAX_LIST_KEYS = 1000;
/** The longest prefix, delimiter, marker or decoded token accepted (S3 keys are ≤ 1,024 bytes). */
export const MAX_LIST_ARGUMENT_BYTES = 1024;

export interface ListRequest {
  prefix: string;
  /** Empty or undefined: no roll-up. */
  delimiter?: string;
  /** 0 to MAX_LIST_KEYS: keys and common prefixes together. */
  maxKeys: number;
  /** Return only keys (and prefixes) after this one. */
  after?: string;
}

export interface ListedPage<T> {
  contents: T[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Where the next page starts (the last key or prefix returned) when truncated. */
  next?: string;
}

/** Byte order of UTF-8 encodings (UTF-16 code unit order differs above U+FFFF… and surrogates). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The common prefix `key` rolls up into, or undefined when it is listed as itself. */
export function commonPrefixOf(
  key: string,
  prefix: string,
  delimiter: string | undefined,
): string | undefined {
  if (!delimiter) return undefined;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : key.slice(0, at + delimiter.length);
}

/**
 * Where a source resumes to skip every key that rolls up into `common`: after `common` followed by
 * the largest code point as often as a key (≤ 1,024 bytes) could continue it, which sorts after
 * every such key in byte order.
 */
export function pastCommonPrefix(common: string): string {
  return common + '\u{10FFFF}'.repeat(MAX_LIST_ARGUMENT_BYTES / 4);
}

/**
 * Items in byte order of `key`, all starting with the request's prefix, after a position. A
 * function lets the listing jump past a common prefix instead of reading every key under it.
 */
export type ListSource<T> = AsyncIterable<T> | ((after: string | undefined) => AsyncIterable<T>);

/**
 * One page from `source` (items at or before `request.after` may be included; they are skipped
 * here). With a source function, the keys under each common prefix are skipped by reopening the
 * source past the prefix (`pastCommonPrefix`), so a listing with a delimiter costs per item it
 * returns, not per key under it.
 */
export async function listPage<T extends { key: string }>(
  source: ListSource<T>,
  request: ListRequest,
): Promise<ListedPage<T>> {
  const { prefix, delimiter, maxKeys, after } = request;
  const contents: T[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;
  if (maxKeys <= 0) return { contents, commonPrefixes, isTruncated: false };
  const open = typeof source === 'function' ? source : undefined;
  // A marker that is itself a common prefix (a page ended on it) skips every key under it too.
  let from =
    after !== undefined && delimiter && commonPrefixOf(after, prefix, delimiter) === after
      ? pastCommonPrefix(after)
      : after;
  for (let reopen = true; reopen;) {
    reopen = false;
    for await (const item of open ? open(from) : (source as AsyncIterable<T>)) {
      if (!item.key.startsWith(prefix)) continue;
      if (after !== undefined && compareKeys(item.key, after) <= 0) continue;
      const common = commonPrefixOf(item.key, prefix, delimiter);
      if (common !== undefined && (common === last || common === after)) continue;
      if (contents.length + commonPrefixes.length === maxKeys) {
        return {
          contents,
          commonPrefixes,
          isTruncated: true,
          ...(last === undefined ? {} : { next: last }),
        };
      }
      if (common === undefined) {
        contents.push(item);
        last = item.key;
        continue;
      }
      commonPrefixes.push(common);
      last = common;
      if (open) {
        from = pastCommonPrefix(common);
        reopen = true;
        break;
      }
    }
  }
  return { contents, commonPrefixes, isTruncated: false };
}

/** A continuation token for a page that ended at `marker`. */
export function encodeContinuationToken(marker: string): string {
  return Buffer.from(marker, 'utf8').toString('base64url');
}

/** The marker inside a token; `InvalidArgument` for one this endpoint did not make. */
export function decodeContinuationToken(token: string): string {
  const bytes = Buffer.from(token, 'base64url');
  const marker = bytes.toString('utf8');
  if (
    token.length === 0 ||
    bytes.length > MAX_LIST_ARGUMENT_BYTES ||
    encodeContinuationToken(marker) !== token
  ) {
    throw new S3Error('InvalidArgument', 'the continuation token provided is incorrect');
  }
  return marker;
}

/** `max-keys` as given: a whole number ≥ 0; larger than 1,000 is served as 1,000 (as S3 does). */
export function parseMaxKeys(text: string | null): number {
  if (text === null) return MAX_LIST_KEYS;
  if (!/^\d{1,10}$/.test(text)) {
    throw new S3Error('InvalidArgument', 'max-keys must be a whole number from 0');
  }
  return Math.min(Number(text), MAX_LIST_KEYS);
}

/** The later of two optional markers (S3 starts after whichever is further). */
export function laterMarker(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || a === '') return b === '' ? undefined : b;
  if (b === undefined || b === '') return a;
  return compareKeys(a, b) >= 0 ? a : b;
}

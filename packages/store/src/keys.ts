import { StoreError } from './errors.js';

/**
 * Keys are arbitrary UTF-8 strings (NUL, `/`, `..`, any script) because they never become paths: the
 * layout hashes them. The limit only bounds the entry trailer and list memory; 64 KiB is far above
 * the node's 1 KiB names.
 */
export const MAX_KEY_BYTES = 64 * 1024;

/** Throws ERR_INVALID_KEY unless `key` is a non-empty, well-formed string within MAX_KEY_BYTES. */
export function assertValidKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new StoreError('ERR_INVALID_KEY', 'key must be a string');
  if (key.length === 0) throw new StoreError('ERR_INVALID_KEY', 'key is empty');
  assertWellFormed(key, 'ERR_INVALID_KEY', 'key');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes > MAX_KEY_BYTES) {
    throw new StoreError('ERR_INVALID_KEY', `key is ${bytes} bytes; the limit is ${MAX_KEY_BYTES}`);
  }
}

/**
 * A lone surrogate has no UTF-8 encoding: it would silently become U+FFFD on disk and two different
 * strings would share one entry, so such strings are refused.
 */
export function assertWellFormed(
  value: string,
  code: 'ERR_INVALID_KEY' | 'ERR_INVALID_ARGUMENT',
  what: string,
): void {
  if (Buffer.from(value, 'utf8').toString('utf8') !== value) {
    throw new StoreError(code, `${what} is not well-formed Unicode (lone surrogate)`);
  }
}

/**
 * dfs names are object-store keys: 1–1024 bytes of UTF-8, `/` allowed. The node refuses empty names,
 * control characters, a leading `/` and `.`/`..` segments; the client checks the same rules first so a
 * bad name fails fast with ERR_INVALID_NAME instead of a round trip.
 */
export const MAX_NAME_BYTES = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `name` is not a valid dfs name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'name is empty';
  const encoded = Buffer.from(name, 'utf8');
  if (encoded.length > MAX_NAME_BYTES) {
    return `name is ${encoded.length} bytes; the limit is ${MAX_NAME_BYTES}`;
  }
  // A lone surrogate has no UTF-8 encoding: it round-trips as U+FFFD.
  if (encoded.toString('utf8') !== name) return 'name is not valid UTF-8';
  if (CONTROL.test(name)) return 'name contains a control character';
  if (name.startsWith('/')) return 'name starts with "/"';
  for (const segment of name.split('/')) {
    if (segment === '.' || segment === '..') return 'name contains a "." or ".." segment';
  }
  return undefined;
}

/**
 * Percent-encodes each `/`-separated segment, keeping the slashes, so `a b/c?d` becomes
 * `a%20b/c%3Fd`. Every byte that could change the URL's meaning (`?`, `#`, `%`) is encoded.
 */
export function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Inverse of `encodeName` (for servers and tests). */
export function decodeName(encoded: string): string {
  return encoded.split('/').map(decodeURIComponent).join('/');
}

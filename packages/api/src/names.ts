/**
 * File names are object-store keys: 1–1024 bytes of UTF-8, `/` allowed. Refused: empty, control
 * characters, a leading `/`, and `.` or `..` segments. Names never become filesystem paths (the
 * store hashes them), but a name that would surprise a user, or a tool that mirrors keys onto a
 * filesystem, is refused anyway. The node checks every name from HTTP and from the wire with these
 * rules; the client checks them first so a bad name fails before a round trip.
 */
export const MAX_NAME_BYTES = 1024;

/** The rules in one sentence, for messages that tell a user how to fix a name. */
export const NAME_RULES = `names are 1–${MAX_NAME_BYTES} bytes of UTF-8 with no leading "/", no control characters and no "." or ".." segments`;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const utf8 = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the output instead of swallowing it: it is a valid name.
const fromUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Why `name` is not a valid dfs name, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'name is empty';
  const encoded = utf8.encode(name);
  const bytes = encoded.length;
  if (bytes > MAX_NAME_BYTES) return `name is ${bytes} bytes; the limit is ${MAX_NAME_BYTES}`;
  // A lone surrogate has no UTF-8 encoding: it round-trips as U+FFFD.
  if (fromUtf8.decode(encoded) !== name) return 'name is not valid UTF-8';
  if (CONTROL.test(name)) return 'name contains a control character';
  if (name.startsWith('/')) return 'name starts with "/"';
  for (const segment of name.split('/')) {
    if (segment === '.' || segment === '..') return 'name contains a "." or ".." segment';
  }
  return undefined;
}

export function isValidName(name: string): boolean {
  return nameProblem(name) === undefined;
}

/**
 * A name as it appears in a URL path: each `/`-separated segment percent-encoded, the slashes kept,
 * so `a b/c?d` becomes `a%20b/c%3Fd`. Every character that could change the URL's meaning (`?`,
 * `#`, `%`) is encoded.
 */
export function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

/** Inverse of `encodeName`; throws URIError on malformed percent-encoding. */
export function decodeName(encoded: string): string {
  return encoded.split('/').map(decodeURIComponent).join('/');
}

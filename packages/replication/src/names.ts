/**
 * File names are object-store keys: 1–1024 bytes of UTF-8, `/` allowed. Refused: empty, control
 * characters, a leading `/`, and `.` or `..` segments. Names never become filesystem paths (the
 * store hashes them), but we still refuse what would surprise a user or a tool that mirrors keys
 * onto a filesystem. Used for HTTP input and for every name that arrives over the wire.
 */
export const MAX_NAME_BYTES = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `name` is not acceptable, or undefined when it is. */
export function nameProblem(name: string): string | undefined {
  if (name.length === 0) return 'name is empty';
  const encoded = Buffer.from(name, 'utf8');
  const bytes = encoded.length;
  if (bytes > MAX_NAME_BYTES) return `name is ${bytes} bytes; the limit is ${MAX_NAME_BYTES}`;
  // A lone surrogate has no UTF-8 encoding: it round-trips as U+FFFD.
  if (encoded.toString('utf8') !== name) return 'name is not valid UTF-8';
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

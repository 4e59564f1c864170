import { createHash } from 'node:crypto';
import { StoreError } from './errors.js';

/**
 * Maps a key to the relative path of the file holding its entry. Keys never become paths directly;
 * a layout hashes them so that any key (`../x`, NUL, 10 KB) lands on a safe, bounded path.
 */
export interface PathLayout {
  /** Recorded in the store directory; reopening with a different layout fails (ERR_LAYOUT_MISMATCH). */
  readonly name: string;
  /**
   * `/`-separated relative path. Each segment must match `[A-Za-z0-9][A-Za-z0-9._-]*` (so no `.`, `..`,
   * hidden or temp names). Different keys must map to different paths; the store double-checks the
   * key stored in the entry and treats a collision as "not found".
   */
  pathFor(key: string): string;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function hexDigest(algorithm: 'sha1' | 'sha256', key: string): string {
  return createHash(algorithm).update(key, 'utf8').digest('hex');
}

/**
 * The default: `ab/<sha256 hex of key>`. One level of 256 directories keeps directory creation (and
 * its fsync) off the hot path after the first few hundred puts, and stays fast to list up to millions
 * of entries on modern filesystems.
 */
export const sha256Layout: PathLayout = {
  name: 'sha256-256dirs-v1',
  pathFor(key) {
    const hex = hexDigest('sha256', key);
    return `${hex.slice(0, 2)}/${hex}`;
  },
};

/**
 * The original Go system's layout: sha1 of the key as hex, cut into 5-character directories, with the
 * full hex as the file name ("hello world!" → `430ce/34d02/0724e/d75a1/96dfc/2ad67/c7777/2d169/430ce…169`).
 * Only the paths match: entry files carry the store's trailer, so this does not read raw Go files.
 */
export const goCompatibleLayout: PathLayout = {
  name: 'go-sha1-5char-v1',
  pathFor(key) {
    const hex = hexDigest('sha1', key);
    const dirs: string[] = [];
    for (let i = 0; i < hex.length; i += 5) dirs.push(hex.slice(i, i + 5));
    return `${dirs.join('/')}/${hex}`;
  },
};

/** The layout's path for `key`, checked so that a custom layout cannot escape the store directory. */
export function safeRelativePath(layout: PathLayout, key: string): string {
  const relative = layout.pathFor(key);
  const segments = typeof relative === 'string' ? relative.split('/') : [];
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s))) {
    throw new StoreError(
      'ERR_INVALID_ARGUMENT',
      `layout "${layout.name}" returned an unsafe path ${JSON.stringify(relative)}`,
    );
  }
  return relative;
}

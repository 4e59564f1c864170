/**
 * Local paths and the names they become. Paths are relative to the directory the user ran the
 * command in; through `pnpm dfs` (a package script) the process runs in the package's directory and
 * pnpm passes the user's directory as INIT_CWD.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';

/**
 * The directory the user typed the command in. INIT_CWD counts only when we run as a package script
 * in that package's own directory (npm_package_json points there): a child process that merely
 * inherited INIT_CWD from some outer `pnpm test` must not have its paths redirected.
 */
export function userDirectory(cwd: string, env: Record<string, string | undefined>): string {
  const initCwd = env.INIT_CWD;
  const packageJson = env.npm_package_json;
  if (initCwd && packageJson && resolve(dirname(packageJson)) === resolve(cwd)) {
    return resolve(initCwd);
  }
  return cwd;
}

/** The name a local file gets when none is given: its base name. */
export function defaultNameFor(file: string): string {
  return basename(resolve(file));
}

/** The last segment of a dfs name: the file name `get` writes by default. */
export function baseOfName(name: string): string {
  const segments = name.split('/').filter((segment) => segment !== '');
  return segments[segments.length - 1] ?? name;
}

/** Joins a name prefix and a relative path with `/`, whatever the platform's separator. */
export function joinName(prefix: string, relativePath: string): string {
  const rel = relativePath.split(sep).join(posix.sep);
  const trimmed = prefix.replace(/\/+$/, '');
  return trimmed === '' ? rel : `${trimmed}/${rel}`;
}

export interface TreeFile {
  /** Absolute path on disk. */
  path: string;
  /** Path relative to the tree's root, with `/` separators. */
  relative: string;
  size: number;
}

export interface TreeWalk {
  files: TreeFile[];
  /** Entries left out (symlinks, sockets, devices), relative to the root. */
  skipped: string[];
}

/**
 * Every regular file under `root`, in a stable (sorted) order. Symbolic links are skipped rather
 * than followed: following them can loop or escape the tree the user named.
 */
export async function walkTree(root: string): Promise<TreeWalk> {
  const files: TreeFile[] = [];
  const skipped: string[] = [];
  async function visit(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(root, path).split(sep).join('/');
      if (entry.isDirectory()) {
        await visit(path);
      } else if (entry.isFile()) {
        files.push({ path, relative: rel, size: (await lstat(path)).size });
      } else {
        skipped.push(rel);
      }
    }
  }
  await visit(root);
  return { files, skipped };
}

/** The hex sha256 of a local file, read as a stream. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

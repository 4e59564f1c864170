/**
 * Names in the store seen as a tree of folders split by `/`: listing everything under a prefix,
 * grouping a listing into folders and files (`ls` without --recursive, like `aws s3 ls`), mapping a
 * name to a local path under a directory (`get -r`, `sync`), and the hint a user needs when a name
 * they typed is a folder rather than a file.
 */
import { isAbsolute, join, relative, sep } from 'node:path';
import type { FileEntry } from '@dfs/client';
import type { CommandContext } from './context.js';

/** `tree` and `tree/` both mean the folder `tree/`; the empty prefix is the whole store. */
export function folderPrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Every live file whose name starts with `prefix`, in name order. */
export async function listUnder(context: CommandContext, prefix: string): Promise<FileEntry[]> {
  const files: FileEntry[] = [];
  for await (const file of context.client.listAll({
    ...context.abortable,
    ...(prefix === '' ? {} : { prefix }),
  })) {
    files.push(file);
  }
  return files;
}

export interface FolderEntry {
  /** The folder's full name, ending in `/`. */
  name: string;
  files: number;
  bytes: number;
  /** The newest write below it. */
  modified: number;
}

export interface FolderView {
  folders: FolderEntry[];
  files: FileEntry[];
}

/**
 * Groups `files` (all starting with `prefix`) by the first `/` after the prefix: a name with one
 * becomes part of a folder, one without stays a file. Both lists keep name order.
 */
export function groupByFolder(files: readonly FileEntry[], prefix: string): FolderView {
  const folders = new Map<string, FolderEntry>();
  const direct: FileEntry[] = [];
  for (const file of files) {
    const slash = file.name.indexOf('/', prefix.length);
    if (slash < 0) {
      direct.push(file);
      continue;
    }
    const name = file.name.slice(0, slash + 1);
    const folder = folders.get(name) ?? { name, files: 0, bytes: 0, modified: 0 };
    folder.files += 1;
    folder.bytes += file.size;
    folder.modified = Math.max(folder.modified, file.modified);
    folders.set(name, folder);
  }
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  return { folders: [...folders.values()].sort(byName), files: direct };
}

/**
 * Where the file `name` (which starts with `prefix`) goes under the local directory `root`, or why
 * it cannot go anywhere: an empty segment (`a//b`, `dir/`) has no local equivalent, and a segment
 * with the platform's separator would change the path's shape.
 */
export function localPathFor(
  root: string,
  name: string,
  prefix: string,
): { path: string } | { problem: string } {
  const rel = name.slice(prefix.length);
  const segments = rel.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return { problem: 'has an empty, "." or ".." segment, so it has no local path' };
  }
  if (sep !== '/' && segments.some((segment) => segment.includes(sep))) {
    return { problem: `contains "${sep}", which is a separator here` };
  }
  const path = join(root, ...segments);
  const back = relative(root, path);
  if (back === '' || back.startsWith('..') || isAbsolute(back)) {
    return { problem: 'would land outside the target directory' };
  }
  return { path };
}

/** How many files to count at most for a hint (the count is then shown as "N+"). */
const HINT_COUNT_LIMIT = 10_000;

/**
 * When `name` is not a file but a folder holds files under `name/`, the sentence saying so:
 * `"tree" is a folder holding 5 files`. Undefined when nothing lives there.
 */
export async function folderHint(
  context: CommandContext,
  name: string,
): Promise<string | undefined> {
  const prefix = folderPrefix(name);
  let count = 0;
  try {
    for await (const _file of context.client.listAll({
      ...context.abortable,
      prefix,
      limit: 1000,
    })) {
      count += 1;
      if (count >= HINT_COUNT_LIMIT) break;
    }
  } catch {
    return undefined;
  }
  if (count === 0) return undefined;
  const shown = count >= HINT_COUNT_LIMIT ? `${count}+` : String(count);
  return `${JSON.stringify(prefix)} is a folder holding ${shown} ${count === 1 ? 'file' : 'files'}`;
}

/**
 * `dfs ls [prefix]`: what lives under a prefix, one level at a time like `aws s3 ls` (names with a
 * further `/` are folded into folders, shown with their file count, size and newest write), or
 * every file with --recursive; names only with --names, the flat file list with --json.
 */
import type { FileEntry } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatAge, formatBytes, renderTable } from '../format.js';
import { UsageError } from '../problems.js';
import { groupByFolder, type FolderView } from '../remote-tree.js';

export interface LsFlags {
  limit?: number;
  names?: boolean;
  recursive?: boolean;
}

export function formatListing(files: readonly FileEntry[], now: number): string {
  return formatFolderView({ folders: [], files: [...files] }, now);
}

/**
 * Folders first (`name/`, their file count, total size and newest write), then files. The FILES
 * column appears only when there are folders.
 */
export function formatFolderView(view: FolderView, now: number): string {
  if (view.folders.length === 0) {
    return renderTable(
      ['NAME', 'SIZE', 'MODIFIED'],
      view.files.map((file) => [file.name, formatBytes(file.size), formatAge(file.modified, now)]),
      ['left', 'right', 'left'],
    );
  }
  return renderTable(
    ['NAME', 'SIZE', 'FILES', 'MODIFIED'],
    [
      ...view.folders.map((folder) => [
        folder.name,
        formatBytes(folder.bytes),
        String(folder.files),
        formatAge(folder.modified, now),
      ]),
      ...view.files.map((file) => [
        file.name,
        formatBytes(file.size),
        '',
        formatAge(file.modified, now),
      ]),
    ],
    ['left', 'right', 'right', 'left'],
  );
}

export function formatListingSummary(files: readonly FileEntry[], folders = 0): string {
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  const parts = [`${files.length} ${files.length === 1 ? 'file' : 'files'}, ${formatBytes(bytes)}`];
  if (folders > 0) parts.push(`in ${folders} ${folders === 1 ? 'folder' : 'folders'} and below`);
  return parts.join(' ');
}

export async function lsCommand(
  context: CommandContext,
  prefix: string | undefined,
  flags: LsFlags,
): Promise<void> {
  if (flags.limit !== undefined && (!Number.isSafeInteger(flags.limit) || flags.limit < 1)) {
    throw new UsageError('--limit must be a positive integer');
  }
  const files: FileEntry[] = [];
  for await (const file of context.client.listAll({
    ...context.abortable,
    ...(prefix === undefined ? {} : { prefix }),
  })) {
    files.push(file);
    // A limit caps what a flat listing shows; a folder view needs every name to count.
    if (
      flags.limit !== undefined &&
      (flags.recursive || context.json) &&
      files.length >= flags.limit
    )
      break;
  }
  const view: FolderView = flags.recursive
    ? { folders: [], files }
    : groupByFolder(files, prefix ?? '');
  if (flags.limit !== undefined) {
    view.folders = view.folders.slice(0, flags.limit);
    view.files = view.files.slice(0, Math.max(0, flags.limit - view.folders.length));
  }
  if (context.json) {
    context.out(toJson(files));
  } else if (flags.names) {
    context.out(
      [...view.folders.map((folder) => folder.name), ...view.files.map((file) => file.name)]
        .map((name) => `${name}\n`)
        .join(''),
    );
  } else if (files.length === 0) {
    context.note(prefix === undefined ? 'no files' : `no files under ${JSON.stringify(prefix)}`);
  } else {
    context.out(formatFolderView(view, context.io.now()));
    context.note(formatListingSummary(files, view.folders.length));
  }
}

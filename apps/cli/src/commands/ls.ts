/** `dfs ls [prefix]`: live files as a table (name, size, age), names only, or JSON. */
import type { FileEntry } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatAge, formatBytes, renderTable } from '../format.js';
import { UsageError } from '../problems.js';

export interface LsFlags {
  limit?: number;
  names?: boolean;
}

export function formatListing(files: readonly FileEntry[], now: number): string {
  return renderTable(
    ['NAME', 'SIZE', 'MODIFIED'],
    files.map((file) => [file.name, formatBytes(file.size), formatAge(file.modified, now)]),
    ['left', 'right', 'left'],
  );
}

export function formatListingSummary(files: readonly FileEntry[]): string {
  const bytes = files.reduce((sum, file) => sum + file.size, 0);
  return `${files.length} ${files.length === 1 ? 'file' : 'files'}, ${formatBytes(bytes)}`;
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
    if (flags.limit !== undefined && files.length >= flags.limit) break;
  }
  if (context.json) {
    context.out(toJson(files));
  } else if (flags.names) {
    context.out(files.map((file) => `${file.name}\n`).join(''));
  } else if (files.length === 0) {
    context.note(prefix === undefined ? 'no files' : `no files under ${JSON.stringify(prefix)}`);
  } else {
    context.out(formatListing(files, context.io.now()));
    context.note(formatListingSummary(files));
  }
}

/**
 * `dfs put <file|-> [name]`: upload a file, stdin, or (-r) a directory tree keeping relative names.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nameProblem } from '@dfs/api';
import type { PutResult } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatBytes } from '../format.js';
import { defaultNameFor, joinName, walkTree } from '../paths.js';
import { CliError, UsageError } from '../problems.js';

export interface PutFlags {
  recursive?: boolean;
  /** Wait until this many nodes hold each file. */
  wait?: number;
}

/** One upload the command will make: where the bytes come from and the name they get. */
export interface PlannedUpload {
  source: { path: string } | 'stdin';
  name: string;
  size: number | undefined;
}

function checkName(name: string): void {
  const problem = nameProblem(name);
  if (problem !== undefined) {
    throw new UsageError(
      `bad name ${JSON.stringify(name)}: ${problem} — pass a name as the second argument`,
    );
  }
}

/** Decides what to upload under which names; no network. Exported for tests. */
export async function planPut(
  cwd: string,
  file: string,
  name: string | undefined,
  flags: PutFlags,
): Promise<{ uploads: PlannedUpload[]; skipped: string[] }> {
  if (file === '-') {
    if (flags.recursive) throw new UsageError('-r needs a directory, not stdin (-)');
    if (name === undefined) {
      throw new UsageError('reading stdin needs a name: dfs put - <name>');
    }
    checkName(name);
    return { uploads: [{ source: 'stdin', name, size: undefined }], skipped: [] };
  }
  const path = resolve(cwd, file);
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      throw new CliError(`no such file: ${file} (looked in ${cwd})`);
    }
    throw new CliError(`cannot read ${file}: ${error.message}`);
  });
  if (info.isDirectory()) {
    if (!flags.recursive) {
      throw new UsageError(`${file} is a directory — use dfs put -r ${file} to upload the tree`);
    }
    const prefix = name ?? defaultNameFor(path);
    const tree = await walkTree(path);
    const uploads = tree.files.map((entry) => ({
      source: { path: entry.path },
      name: joinName(prefix, entry.relative),
      size: entry.size,
    }));
    uploads.forEach((upload) => checkName(upload.name));
    return { uploads, skipped: tree.skipped };
  }
  if (!info.isFile()) throw new CliError(`${file} is not a regular file`);
  const target = name ?? defaultNameFor(path);
  checkName(target);
  return { uploads: [{ source: { path }, name: target, size: info.size }], skipped: [] };
}

export function formatPutResult(result: PutResult): string {
  return `${result.name}  ${formatBytes(result.size)}  sha256:${result.sha256}\n`;
}

export async function putCommand(
  context: CommandContext,
  file: string,
  name: string | undefined,
  flags: PutFlags,
): Promise<void> {
  const { uploads, skipped } = await planPut(context.cwd, file, name, flags);
  for (const entry of skipped) context.note(`skipped ${entry} (not a regular file)`);
  if (uploads.length === 0) {
    context.note(`${file} holds no files; nothing uploaded`);
    if (context.json) context.out(toJson([]));
    return;
  }
  if (uploads[0]?.source === 'stdin' && (context.io.stdin as { isTTY?: boolean }).isTTY) {
    context.note('reading from the terminal; finish with Ctrl-D (or pipe a file in)');
  }
  const results: PutResult[] = [];
  const totalBytes = uploads.every((upload) => upload.size !== undefined)
    ? uploads.reduce((sum, upload) => sum + (upload.size ?? 0), 0)
    : undefined;
  let doneBytes = 0;
  const many = uploads.length > 1;
  context.progress.start(totalBytes, many ? `0/${uploads.length}` : (uploads[0]?.name ?? ''));
  try {
    for (const [index, upload] of uploads.entries()) {
      const body = upload.source === 'stdin' ? context.io.stdin : upload.source;
      const label = many ? `${index + 1}/${uploads.length}` : upload.name;
      context.subject = upload.name;
      const result = await context.client
        .put(upload.name, body, {
          ...context.abortable,
          ...(flags.wait === undefined ? {} : { w: flags.wait }),
          onProgress: ({ loaded }) => context.progress.update(doneBytes + loaded, label),
        })
        .catch((error: unknown) => {
          context.progress.stop();
          if (many && results.length > 0) {
            context.note(
              `${results.length} of ${uploads.length} files were uploaded before this failure`,
            );
          }
          throw error;
        });
      doneBytes += result.size;
      results.push(result);
      if (!context.json && !context.quiet) {
        context.progress.stop();
        context.out(formatPutResult(result));
        if (index < uploads.length - 1) context.progress.start(totalBytes, label);
        context.progress.update(doneBytes);
      }
    }
  } finally {
    context.progress.stop();
  }
  if (context.json) context.out(toJson(flags.recursive ? results : results[0]));
}

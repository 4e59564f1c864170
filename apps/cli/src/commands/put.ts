/**
 * `dfs put <file|-> [name]`: upload a file, stdin, or (-r) a directory tree keeping relative names,
 * in parallel, leaving alone the files the cluster already holds with the same sha256 (unless
 * --force).
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nameProblem } from '@dfs/api';
import type { PutResult } from '@dfs/client';
import { DEFAULT_TRANSFERS } from '../batch.js';
import { toJson, type CommandContext } from '../context.js';
import { formatBytes } from '../format.js';
import { defaultNameFor, joinName, walkTree } from '../paths.js';
import { CliError, UsageError } from '../problems.js';
import { folderPrefix } from '../remote-tree.js';
import { formatTreeSummary, uploadTree, type TreeReport } from '../tree-transfer.js';
import { uploadFile } from '../upload-file.js';

export interface PutFlags {
  recursive?: boolean;
  /** Wait until this many nodes hold each file. */
  wait?: number;
  /** Parallel uploads with -r. */
  transfers?: number;
  /** With -r, upload even the files the cluster already holds with the same sha256. */
  force?: boolean;
  /** Send a file through a resumable session whatever its size (large files always are). */
  resume?: boolean;
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
): Promise<{ uploads: PlannedUpload[]; skipped: string[]; prefix?: string }> {
  if (file === '-') {
    if (flags.recursive) throw new UsageError('-r needs a directory, not stdin (-)');
    if (flags.resume) throw new UsageError('--resume needs a file: stdin cannot be read twice');
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
    return { uploads, skipped: tree.skipped, prefix: prefix.replace(/\/+$/, '') };
  }
  if (!info.isFile()) throw new CliError(`${file} is not a regular file`);
  const target = name ?? defaultNameFor(path);
  checkName(target);
  return { uploads: [{ source: { path }, name: target, size: info.size }], skipped: [] };
}

export function formatPutResult(result: PutResult): string {
  return `${result.name}  ${formatBytes(result.size)}  sha256:${result.sha256}\n`;
}

/** Fails the command (exit 1) after a batch in which some files failed. */
export function failIfAny(report: TreeReport, total: number): void {
  if (report.failed.length > 0) {
    throw new CliError(`${report.failed.length} of ${total} files failed (see above)`);
  }
}

async function putTree(
  context: CommandContext,
  uploads: PlannedUpload[],
  prefix: string,
  flags: PutFlags,
): Promise<void> {
  const files = uploads.map((upload) => ({
    path: (upload.source as { path: string }).path,
    name: upload.name,
    size: upload.size ?? 0,
  }));
  const report = await uploadTree(context, files, folderPrefix(prefix), {
    transfers: flags.transfers ?? DEFAULT_TRANSFERS,
    skipUnchanged: flags.force !== true,
    delete: false,
    dryRun: false,
    ...(flags.wait === undefined ? {} : { wait: flags.wait }),
    onResult: (result) => (context.json ? undefined : formatPutResult(result)),
  });
  if (context.json) context.out(toJson(report.results));
  context.note(formatTreeSummary(report, 'uploaded'));
  failIfAny(report, files.length);
}

export async function putCommand(
  context: CommandContext,
  file: string,
  name: string | undefined,
  flags: PutFlags,
): Promise<void> {
  const { uploads, skipped, prefix } = await planPut(context.cwd, file, name, flags);
  for (const entry of skipped) context.note(`skipped ${entry} (not a regular file)`);
  if (flags.recursive) {
    if (uploads.length === 0) {
      context.note(`${file} holds no files; nothing uploaded`);
      if (context.json) context.out(toJson([]));
      return;
    }
    await putTree(context, uploads, prefix ?? '', flags);
    return;
  }
  const upload = uploads[0];
  if (upload === undefined) return;
  if (upload.source === 'stdin' && (context.io.stdin as { isTTY?: boolean }).isTTY) {
    context.note('reading from the terminal; finish with Ctrl-D (or pipe a file in)');
  }
  context.subject = upload.name;
  context.progress.start(upload.size, upload.name);
  const onProgress = (loaded: number) => context.progress.update(loaded);
  const result = await (
    upload.source === 'stdin'
      ? context.client.put(upload.name, context.io.stdin, {
          ...context.abortable,
          ...(flags.wait === undefined ? {} : { w: flags.wait }),
          onProgress: ({ loaded }) => onProgress(loaded),
        })
      : uploadFile(context, upload.source.path, upload.name, upload.size ?? 0, {
          ...(flags.wait === undefined ? {} : { w: flags.wait }),
          resumable: flags.resume === true,
          onProgress,
        })
  ).finally(() => context.progress.stop());
  // The result is data: on stdout whatever --quiet says (it only silences stderr).
  context.out(context.json ? toJson(result) : formatPutResult(result));
}

/**
 * `dfs get <name> [file|-]`: download to a file (atomically, never over an existing file without
 * --force) or to stdout; `dfs get -r <prefix> [dir]`: a folder into a local directory, in parallel.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nameProblem } from '@dfs/api';
import type { FileStat } from '@dfs/client';
import { DfsClientError } from '@dfs/client';
import { DEFAULT_TRANSFERS } from '../batch.js';
import { toJson, type CommandContext } from '../context.js';
import { formatBytes } from '../format.js';
import { baseOfName } from '../paths.js';
import { CliError, UsageError } from '../problems.js';
import { folderHint, folderPrefix, listUnder } from '../remote-tree.js';
import { downloadTree, formatTreeSummary } from '../tree-transfer.js';
import { failIfAny } from './put.js';

export interface GetFlags {
  force?: boolean;
  recursive?: boolean;
  transfers?: number;
}

/**
 * Where the bytes go: stdout for `-`; else the given path (inside it, under the name's base name,
 * when it is a directory or ends with a slash); else the base name in the user's directory.
 */
export async function resolveGetTarget(
  cwd: string,
  name: string,
  file: string | undefined,
): Promise<'stdout' | string> {
  if (file === '-') return 'stdout';
  if (file === undefined) return join(cwd, baseOfName(name));
  const path = resolve(cwd, file);
  const endsWithSlash = /[\\/]$/.test(file);
  const directory = await isDirectory(path);
  if (endsWithSlash && !directory) throw new CliError(`no such directory: ${file}`);
  return directory ? join(path, baseOfName(name)) : path;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
}

async function toStdout(context: CommandContext, name: string): Promise<FileStat> {
  const download = await context.client.get(name, {
    ...context.abortable,
    onProgress: ({ loaded }) => context.progress.update(loaded),
  });
  context.progress.start(download.length, name);
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(download.stream, hashing, context.io.stdout, {
      end: false,
      ...context.abortable,
    });
  } finally {
    context.progress.stop();
  }
  // Bytes already written cannot be taken back; the exit code and message still say so. (A short
  // body already failed in the client with ERR_NETWORK.)
  if (/^[0-9a-f]{64}$/.test(download.info.sha256) && hash.digest('hex') !== download.info.sha256) {
    throw new CliError(
      `the bytes of ${JSON.stringify(name)} did not match their sha256 — do not trust this output`,
    );
  }
  return download.info;
}

/**
 * A not-found that is really a folder becomes the message that names the fix:
 * `"tree/" is a folder holding 5 files — use dfs get -r tree/`.
 */
export async function withFolderHint<T>(
  context: CommandContext,
  name: string,
  fix: string,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof DfsClientError && error.code === 'ERR_NOT_FOUND') {
      const hint = await folderHint(context, name);
      if (hint !== undefined) {
        const prefix = folderPrefix(name);
        throw new CliError(
          `no file named ${JSON.stringify(name)}, but ${hint} — use ${fix} ${prefix}`,
        );
      }
    }
    throw error;
  }
}

/** `get -r`: every file under the folder `prefix` into `dir` (default: the folder's base name). */
async function getTree(
  context: CommandContext,
  prefix: string,
  dir: string | undefined,
  flags: GetFlags,
): Promise<void> {
  if (dir === '-') throw new UsageError('-r writes files into a directory, not to stdout (-)');
  const folder = folderPrefix(prefix);
  const root = resolve(context.cwd, dir ?? (folder === '' ? '.' : baseOfName(folder)));
  const remote = await listUnder(context, folder);
  if (remote.length === 0) {
    throw new CliError(`no files under ${JSON.stringify(folder)} on the cluster — see dfs ls`);
  }
  const report = await downloadTree(context, remote, folder, root, {
    transfers: flags.transfers ?? DEFAULT_TRANSFERS,
    skipUnchanged: true,
    delete: false,
    dryRun: false,
    overwrite: flags.force === true,
  });
  if (context.json)
    context.out(toJson({ root, saved: report.copied, unchanged: report.unchanged }));
  context.note(`${formatTreeSummary(report, 'saved')} → ${root}`);
  failIfAny(report, remote.length);
}

export async function getCommand(
  context: CommandContext,
  name: string,
  file: string | undefined,
  flags: GetFlags,
): Promise<void> {
  if (flags.recursive) {
    await getTree(context, name, file, flags);
    return;
  }
  const problem = nameProblem(name);
  if (problem !== undefined) throw new UsageError(`bad name ${JSON.stringify(name)}: ${problem}`);
  context.subject = name;
  if (name.endsWith('/')) {
    // A name ending in "/" is nearly always a folder; say so before touching local files.
    const hint = await folderHint(context, name);
    if (hint !== undefined) throw new UsageError(`${hint} — use dfs get -r ${name}`);
  }
  await withFolderHint(context, name, 'dfs get -r', () => getFile(context, name, file, flags));
}

async function getFile(
  context: CommandContext,
  name: string,
  file: string | undefined,
  flags: GetFlags,
): Promise<void> {
  const target = await resolveGetTarget(context.cwd, name, file);
  if (target !== 'stdout' && (await isDirectory(target))) {
    // Not found on the cluster is the more useful message (it may be a folder there too).
    await context.client.stat(name, context.abortable);
    throw new CliError(`${target} is a directory — name the file to write: dfs get ${name} <path>`);
  }
  if (target === 'stdout') {
    if (context.json)
      throw new UsageError('--json cannot be combined with writing the file to stdout (-)');
    await toStdout(context, name);
    return;
  }
  let started = false;
  const info = await context.client
    .getToFile(name, target, {
      ...context.abortable,
      overwrite: flags.force ?? false,
      onProgress: ({ loaded, total }) => {
        if (!started) {
          started = true;
          context.progress.start(total, name);
        }
        context.progress.update(loaded);
      },
    })
    .finally(() => context.progress.stop());
  if (context.json) {
    context.out(toJson({ ...info, path: target }));
  } else {
    context.note(`saved ${name} → ${target} (${formatBytes(info.size)})`);
  }
}

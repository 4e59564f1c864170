/**
 * `dfs get <name> [file|-]`: download to a file (atomically, never over an existing file without
 * --force) or to stdout.
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nameProblem } from '@dfs/api';
import type { FileStat } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatBytes } from '../format.js';
import { baseOfName } from '../paths.js';
import { CliError, UsageError } from '../problems.js';

export interface GetFlags {
  force?: boolean;
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
  const isDirectory = await stat(path).then(
    (info) => info.isDirectory(),
    () => false,
  );
  if (endsWithSlash && !isDirectory) throw new CliError(`no such directory: ${file}`);
  return isDirectory ? join(path, baseOfName(name)) : path;
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

export async function getCommand(
  context: CommandContext,
  name: string,
  file: string | undefined,
  flags: GetFlags,
): Promise<void> {
  const problem = nameProblem(name);
  if (problem !== undefined) throw new UsageError(`bad name ${JSON.stringify(name)}: ${problem}`);
  context.subject = name;
  const target = await resolveGetTarget(context.cwd, name, file);
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

/**
 * Writing a download to a file atomically: bytes go to a temporary file beside the target, are
 * checked against the sha256 the node announced, fsynced, and only then take the target's name. A
 * failed or aborted download leaves nothing behind, and the target never holds a partial file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { link, lstat, open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fsyncDirectory } from '@dfs/base';
import { DfsClientError } from './errors.js';
import type { Download } from './types.js';
import { messageOf } from './body.js';

export interface SaveOptions {
  /** Replace an existing file at the target. Default false (ERR_EXISTS). */
  overwrite?: boolean;
  /** Check the bytes against the announced sha256 (whole-file downloads). Default true. */
  verify?: boolean;
  signal?: AbortSignal;
}

export async function assertWritableTarget(path: string, overwrite: boolean): Promise<void> {
  const existing = await lstat(path).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new DfsClientError('ERR_EXISTS', `${path} is a directory`);
  }
  if (existing && !overwrite) {
    throw new DfsClientError('ERR_EXISTS', `${path} already exists`);
  }
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.dfs-partial`);
}

/** Moves `temp` to `path`, refusing to replace an existing file unless `overwrite`. */
async function publish(temp: string, path: string, overwrite: boolean): Promise<void> {
  if (overwrite) {
    await rename(temp, path);
    return;
  }
  try {
    // link() fails with EEXIST instead of replacing: no window where another writer is clobbered.
    await link(temp, path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new DfsClientError('ERR_EXISTS', `${path} already exists`);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    // Filesystems without hard links: check, then rename (a small race, the best they allow).
    await assertWritableTarget(path, false);
    await rename(temp, path);
    return;
  }
  await unlink(temp);
}

async function syncDirectory(path: string): Promise<void> {
  // Makes the rename durable; not every platform can open a directory, so this is best effort.
  await fsyncDirectory(path).catch(() => undefined);
}

/** Writes every chunk to `handle` and fsyncs it before finishing; the caller closes the handle. */
function toFile(handle: FileHandle): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      handle.write(chunk).then(() => callback(), callback);
    },
    final(callback) {
      handle.sync().then(() => callback(), callback);
    },
  });
}

export async function saveDownload(
  download: Download,
  path: string,
  options: SaveOptions = {},
): Promise<void> {
  const overwrite = options.overwrite ?? false;
  const temp = tempPathFor(path);
  const hash = createHash('sha256');
  let bytes = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx');
  } catch (error) {
    download.stream.destroy();
    throw new DfsClientError('ERR_INVALID_ARGUMENT', `cannot write ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  try {
    await pipeline(
      download.stream,
      hashing,
      toFile(handle),
      ...(options.signal ? [{ signal: options.signal }] : []),
    );
    await handle.close();
    handle = undefined;
    if (bytes !== download.length) {
      throw new DfsClientError(
        'ERR_INTEGRITY',
        `received ${bytes} bytes of ${download.length}; the download was cut short`,
      );
    }
    const expected = download.info.sha256.toLowerCase();
    if (
      (options.verify ?? true) &&
      download.range === undefined &&
      /^[0-9a-f]{64}$/.test(expected) &&
      hash.digest('hex') !== expected
    ) {
      throw new DfsClientError(
        'ERR_INTEGRITY',
        `the bytes received do not match sha256 ${expected}; nothing was written`,
      );
    }
    await publish(temp, path, overwrite);
    await syncDirectory(dirname(path));
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    if (options.signal?.aborted) {
      throw new DfsClientError('ERR_ABORTED', 'the download was aborted', {
        cause: options.signal.reason,
      });
    }
    if (error instanceof DfsClientError) throw error;
    throw new DfsClientError('ERR_NETWORK', `download failed: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

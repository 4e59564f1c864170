/**
 * The index's whole-file operations on an `IndexFs`: creating a fresh log, replacing the log by a
 * snapshot (compaction, and the clean log written after recovering a damaged one), keeping a damaged
 * log aside as evidence, and typing the errors a write can end with.
 *
 * Every step that must survive a crash is followed by its fsync: file data by `datasync`, new and
 * renamed directory entries by `syncDir` of the index directory.
 */
import { join } from 'node:path';
import { ReplicationError, errorCode } from './errors.js';
import type { IndexFileHandle, IndexFs } from './index-fs.js';
import { MAGIC } from './index-log.js';
import type { decodeLog } from './index-log.js';

/** What opening the log found. */
export interface IndexRecovery {
  /** No log existed: a new node, or one whose index was lost. */
  created: boolean;
  recordsRecovered: number;
  /** Damaged regions skipped (0 when the log was intact) and the records and bytes lost in them. */
  damagedRegions: number;
  recordsSkipped: number;
  bytesSkipped: number;
  /** Where the damaged log was kept aside, when anything was skipped. */
  damagedCopy?: string;
  /** Bytes of an incomplete last record (a crash mid-append) that were cut. */
  tornTailBytes: number;
  /**
   * The index lost records (now, or at an earlier open that did not finish sorting the stored
   * bodies): bodies it does not know must be salvaged, not quarantined. Cleared by
   * `clearSalvagePending` once the salvage is durable.
   */
  salvagePending: boolean;
}

export const LOG_NAME = 'index.log';
const TMP_SUFFIX = '.tmp';
const DAMAGED_SUFFIX = '.damaged-';

export function logPath(dir: string): string {
  return join(dir, LOG_NAME);
}

export function tmpPath(dir: string): string {
  return `${logPath(dir)}${TMP_SUFFIX}`;
}

/**
 * A failed index write as the caller sees it: ERR_NO_SPACE for a full disk or quota, ERR_IO for
 * anything else (a ReplicationError passes through).
 */
export function indexWriteError(cause: unknown, what: string): ReplicationError {
  if (cause instanceof ReplicationError) return cause;
  const code = errorCode(cause);
  const detail = cause instanceof Error ? cause.message : String(cause);
  const noSpace = code === 'ENOSPC' || code === 'EDQUOT';
  return new ReplicationError(noSpace ? 'ERR_NO_SPACE' : 'ERR_IO', `${what}: ${detail}`, {
    cause,
  });
}

/** Writes all of `data` at `position`; a short write is an error (the caller undoes it). */
export async function writeAll(
  handle: IndexFileHandle,
  data: Buffer,
  position: number,
): Promise<void> {
  if (data.length === 0) return;
  const written = await handle.write(data, position);
  if (written !== data.length) {
    throw new ReplicationError(
      'ERR_IO',
      `short write to the index log: ${written} of ${data.length} bytes (is the disk full?)`,
    );
  }
}

/** Creates (or resets) an empty log: magic, datasync, and the directory entry made durable. */
export async function createLog(fs: IndexFs, dir: string): Promise<IndexFileHandle> {
  const handle = await fs.open(logPath(dir), { create: true });
  try {
    await handle.truncate(0);
    await writeAll(handle, MAGIC, 0);
    await handle.datasync();
    await fs.syncDir(dir);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * First half of replacing the log by `data` (magic + snapshot records): writes and datasyncs the temp
 * file. On failure the temp file is removed and the log is untouched.
 */
export async function writeTempLog(fs: IndexFs, dir: string, data: Buffer): Promise<void> {
  const tmp = tmpPath(dir);
  const handle = await fs.open(tmp, { create: true });
  try {
    await handle.truncate(0);
    await writeAll(handle, data, 0);
    await handle.datasync();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.remove(tmp).catch(() => undefined);
    throw error;
  }
  await handle.close();
}

/**
 * Second half: renames the temp file over the log, fsyncs the directory and opens the new log.
 * `renamed` tells the caller whether the old log is gone (then a failure leaves the index without
 * a usable handle) or still in place (the temp file is removed and nothing changed).
 */
export async function installTempLog(
  fs: IndexFs,
  dir: string,
): Promise<
  { ok: true; handle: IndexFileHandle } | { ok: false; renamed: boolean; error: unknown }
> {
  try {
    await fs.rename(tmpPath(dir), logPath(dir));
  } catch (error) {
    await fs.remove(tmpPath(dir)).catch(() => undefined);
    return { ok: false, renamed: false, error };
  }
  try {
    await fs.syncDir(dir);
    return { ok: true, handle: await fs.open(logPath(dir), { create: false }) };
  } catch (error) {
    return { ok: false, renamed: true, error };
  }
}

/**
 * Keeps the bytes of a damaged log as `index.log.damaged-<n>` (the first unused n, so an earlier
 * copy is never overwritten), fsynced with its directory entry. Returns the copy's path.
 */
export async function keepDamagedCopy(fs: IndexFs, dir: string, data: Buffer): Promise<string> {
  let n = 1;
  while ((await fs.readFile(`${logPath(dir)}${DAMAGED_SUFFIX}${n}`)) !== undefined) n++;
  const path = `${logPath(dir)}${DAMAGED_SUFFIX}${n}`;
  const handle = await fs.open(path, { create: true });
  try {
    await writeAll(handle, data, 0);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.syncDir(dir);
  return path;
}

/** What an open found in the log, for the log line, stats and tests. */
export function recoveryReport(
  decoded: ReturnType<typeof decodeLog>,
  created: boolean,
  salvagePending: boolean,
): IndexRecovery {
  return {
    created,
    salvagePending,
    recordsRecovered: decoded.records.length,
    damagedRegions: decoded.damaged.length,
    recordsSkipped: decoded.damaged.reduce((n, d) => n + d.records, 0),
    bytesSkipped: decoded.damaged.reduce((n, d) => n + d.end - d.start, 0),
    tornTailBytes: decoded.tornTailBytes,
  };
}

const SALVAGE_MARKER = 'salvage-pending';

/**
 * Records, durably and before the lost records' evidence is replaced by a clean log, that the index
 * must be rebuilt from the store: a crash before the salvage finished must not leave a clean-looking
 * log that would quarantine (and later delete) the bodies it lost. Returns true when already pending.
 */
export async function markSalvagePending(
  fs: IndexFs,
  dir: string,
  lost: boolean,
): Promise<boolean> {
  const path = join(dir, SALVAGE_MARKER);
  if ((await fs.readFile(path)) !== undefined) return true;
  if (!lost) return false;
  const handle = await fs.open(path, { create: true });
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fs.syncDir(dir);
  return true;
}

/** The salvage is durable in the index: a later open may quarantine unknown bodies again. */
export async function clearSalvagePending(fs: IndexFs, dir: string): Promise<void> {
  await fs.remove(join(dir, SALVAGE_MARKER));
  await fs.syncDir(dir);
}

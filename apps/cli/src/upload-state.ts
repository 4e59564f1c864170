/**
 * Where `dfs put` keeps the upload session of a large file while it is sent, so a run that was
 * interrupted (Ctrl-C, a dropped connection, a crash) continues from what the node already holds
 * when the same command runs again. One small JSON file per upload in
 * `$XDG_STATE_HOME/dfs/uploads` (`~/.local/state/dfs/uploads`), keyed by the nodes, the name, and
 * the local file's path, size and modification time: a changed file starts afresh. Written
 * durably; removed once the upload completed.
 */
import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensureDirectoryDurably, writeFileDurably } from '@dfs/base';
import type { UploadSessionRef } from '@dfs/client';

/** Files at least this large go through an upload session (resumable); smaller ones in one PUT. */
export const RESUMABLE_FROM_BYTES = 64 * 1024 * 1024;

/** A record's fields are short strings; anything longer is not ours. */
const MAX_FIELD = 2048;

export function uploadStateDirectory(env: Record<string, string | undefined>): string {
  const base =
    env.XDG_STATE_HOME !== undefined && env.XDG_STATE_HOME !== ''
      ? env.XDG_STATE_HOME
      : join(env.HOME ?? homedir(), '.local', 'state');
  return join(base, 'dfs', 'uploads');
}

export interface UploadKey {
  nodes: readonly string[];
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
}

export function uploadStatePath(directory: string, key: UploadKey): string {
  const digest = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 32);
  return join(directory, `${digest}.json`);
}

/** The session an earlier run recorded, or undefined (none, unreadable, or not a session). */
export async function readUploadState(path: string): Promise<UploadSessionRef | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined || text.length > 4 * MAX_FIELD) return undefined;
  try {
    const value = JSON.parse(text) as { node?: unknown; id?: unknown };
    const ok = (field: unknown): field is string =>
      typeof field === 'string' && field !== '' && field.length <= MAX_FIELD;
    return ok(value.node) && ok(value.id) ? { node: value.node, id: value.id } : undefined;
  } catch {
    return undefined;
  }
}

export async function writeUploadState(path: string, session: UploadSessionRef): Promise<void> {
  await ensureDirectoryDurably(join(path, '..'));
  await writeFileDurably(path, `${JSON.stringify({ node: session.node, id: session.id })}\n`, {
    mode: 0o600,
  });
}

export async function clearUploadState(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

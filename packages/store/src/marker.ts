/**
 * `<dir>/.dfs-store.json` records the format and layout a store directory was created with, so that
 * reopening it with another layout fails loudly instead of making every entry invisible.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '@dfs/base';
import { tempPathIn } from './durable-fs.js';
import { StoreError, systemErrorCode } from './errors.js';

export const MARKER_FILE = '.dfs-store.json';

export async function readStoreMarker(
  dir: string,
  layoutName: string,
  fsync: boolean,
): Promise<void> {
  const path = join(dir, MARKER_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (systemErrorCode(error) !== 'ENOENT') throw error;
  }
  if (text === undefined) {
    await writeMarker(dir, path, layoutName, fsync);
    return;
  }
  let recorded: unknown;
  try {
    recorded = (JSON.parse(text) as { layout?: unknown }).layout;
  } catch {
    recorded = undefined;
  }
  if (recorded !== layoutName) {
    throw new StoreError(
      'ERR_LAYOUT_MISMATCH',
      `${dir} uses layout ${JSON.stringify(recorded)}, not ${JSON.stringify(layoutName)}`,
    );
  }
}

async function writeMarker(dir: string, path: string, layoutName: string, fsync: boolean) {
  // The store's temp name, so a leftover from a crash here is found and removed like any other.
  await writeFileDurably(path, `${JSON.stringify({ format: 1, layout: layoutName })}\n`, {
    fsync,
    mode: 0o666,
    tempPath: tempPathIn(dir),
  });
}

/**
 * `<dir>/.dfs-store.json` records the format and layout a store directory was created with, so that
 * reopening it with another layout fails loudly instead of making every entry invisible.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDirectory, tempPathIn, unlinkIfPresent } from './durable-fs.js';
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
  const temp = tempPathIn(dir);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify({ format: 1, layout: layoutName })}\n`);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    if (fsync) await fsyncDirectory(dir);
  } catch (error) {
    await unlinkIfPresent(temp).catch(() => undefined);
    throw error;
  }
}

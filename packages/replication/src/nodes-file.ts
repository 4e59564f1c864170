/**
 * nodes.json: the node's copy of the replicated nodes table, so a restart remembers drains, removals
 * and capacities before any peer answers. Written whole and atomically (@dfs/base
 * `writeFileDurably`: temp file, fsync, rename, directory fsync).
 *
 * A file that cannot be read as a table is never deleted: it is renamed to
 * `nodes.json.damaged-<n>` (the first free n) for an operator to look at, and the node starts with
 * an empty table, which its peers refill.
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory, writeFileDurably } from '@dfs/base';
import { z } from 'zod';
import { MAX_NODE_ROWS, nodeRowSchema, type NodeRow } from './nodes-table.js';

export const NODES_FILE = 'nodes.json';

const nodesFileSchema = z.strictObject({
  v: z.literal(1),
  rows: z.array(nodeRowSchema).max(MAX_NODE_ROWS),
});

export interface LoadedNodes {
  readonly rows: readonly NodeRow[];
  /** Where a damaged file was moved, if it was. */
  readonly damagedPath?: string;
}

/** Reads `dir`/nodes.json; a missing file is an empty table, a damaged one is kept aside. */
export async function loadNodesFile(dir: string, fsync: boolean): Promise<LoadedNodes> {
  await ensureDirectoryDurably(dir, { fsync });
  const path = join(dir, NODES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [] };
    throw error;
  }
  const parsed = nodesFileSchema.safeParse(parseJson(text));
  if (parsed.success) return { rows: parsed.data.rows.map((row) => Object.freeze({ ...row })) };
  const damagedPath = await freeDamagedPath(path);
  await rename(path, damagedPath);
  if (fsync) await fsyncDirectory(dir);
  return { rows: [], damagedPath };
}

/** Replaces `dir`/nodes.json with `rows`, atomically and durably. */
export async function saveNodesFile(
  dir: string,
  rows: readonly NodeRow[],
  fsync: boolean,
): Promise<void> {
  const body = JSON.stringify({ v: 1, rows }, null, 1);
  await writeFileDurably(join(dir, NODES_FILE), `${body}\n`, { fsync });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

async function freeDamagedPath(path: string): Promise<string> {
  for (let n = 1; ; n++) {
    const candidate = `${path}.damaged-${n}`;
    try {
      await stat(candidate);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return candidate;
      throw error;
    }
  }
}

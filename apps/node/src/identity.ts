/**
 * The node's identity on disk: `<data>/node.json` holds the id (generated once, kept forever) and the
 * incarnation, bumped at every start so peers can tell a restarted node from stale news about its
 * previous life (SWIM refutation). Written atomically — temp file, fsync, rename, fsync the directory
 * — so a crash mid-write leaves the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ensureDirectoryDurably, writeFileDurably } from '@dfs/base';
import { NodeError } from './errors.js';

export interface NodeIdentity {
  id: string;
  /** Starts at 1 on the first start; +1 at each later start. */
  incarnation: number;
}

const FILE = 'node.json';
const ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** A fresh id: 16 random bytes, base64url (22 characters). */
export function generateNodeId(): string {
  return randomBytes(16).toString('base64url');
}

/** Read the identity (creating it on first start), bump the incarnation, persist, return it. */
export async function loadIdentity(dataDir: string): Promise<NodeIdentity> {
  await ensureDirectoryDurably(dataDir);
  const file = path.join(dataDir, FILE);
  let previous: NodeIdentity | undefined;
  try {
    previous = parseIdentity(await readFile(file, 'utf8'), file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const next: NodeIdentity = previous
    ? { id: previous.id, incarnation: previous.incarnation + 1 }
    : { id: generateNodeId(), incarnation: 1 };
  await writeFileDurably(file, JSON.stringify(next) + '\n', { mode: 0o600 });
  return next;
}

function parseIdentity(text: string, file: string): NodeIdentity {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new NodeError('ERR_STARTUP', `${file} is not valid JSON; restore it or move it away`);
  }
  const { id, incarnation } = (value ?? {}) as Record<string, unknown>;
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new NodeError('ERR_STARTUP', `${file} has no valid "id"`);
  }
  if (typeof incarnation !== 'number' || !Number.isSafeInteger(incarnation) || incarnation < 0) {
    throw new NodeError('ERR_STARTUP', `${file} has no valid "incarnation"`);
  }
  return { id, incarnation };
}

/**
 * One node per data directory. `<data>/node.lock` holds the pid of the node using it; a second node
 * on the same directory refuses to start instead of interleaving writes to the same index and
 * store. A lock left by a node that died (kill -9) names a pid that no longer runs and is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { NodeError } from './errors.js';

const LOCK = 'node.lock';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else — still running.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the directory's lock; resolves with its release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = path.join(dataDir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
      throw new NodeError(
        'ERR_STARTUP',
        `data directory ${dataDir} is in use by another node (pid ${holder}); use another --data`,
      );
    }
    // Stale: its node is gone.
    await rm(file, { force: true });
  }
  throw new NodeError('ERR_STARTUP', `could not lock data directory ${dataDir}`);
}

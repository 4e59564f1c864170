/**
 * An IndexFs on the real disk that fails chosen calls: the next write can come up short (half the
 * bytes really written, as a full disk does), or fail with ENOSPC or EIO; the next truncate or
 * datasync can fail with EIO. Each armed fault fires once.
 */
import { nodeIndexFs } from '../src/index.js';
import type { IndexFileHandle, IndexFs } from '../src/index.js';

export type WriteFault = 'short' | 'ENOSPC' | 'EIO';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected fault`), { code });
}

export class FaultyIndexFs implements IndexFs {
  readonly #writeFaults: WriteFault[] = [];
  #failTruncate = false;
  #failDatasync = false;
  /** Writes that reached the fake (faulty ones included). */
  writes = 0;

  failNextWrite(fault: WriteFault): void {
    this.#writeFaults.push(fault);
  }

  failNextTruncate(): void {
    this.#failTruncate = true;
  }

  failNextDatasync(): void {
    this.#failDatasync = true;
  }

  ensureDir(dir: string): Promise<void> {
    return nodeIndexFs.ensureDir(dir);
  }
  readFile(path: string): Promise<Buffer | undefined> {
    return nodeIndexFs.readFile(path);
  }
  async open(path: string, options: { create: boolean }): Promise<IndexFileHandle> {
    const real = await nodeIndexFs.open(path, options);
    return {
      write: async (data, position) => {
        this.writes++;
        const fault = this.#writeFaults.shift();
        if (fault === 'short') return real.write(data.subarray(0, data.length >> 1), position);
        if (fault !== undefined) throw errno(fault);
        return real.write(data, position);
      },
      datasync: async () => {
        if (this.#failDatasync) {
          this.#failDatasync = false;
          throw errno('EIO');
        }
        return real.datasync();
      },
      truncate: async (length) => {
        if (this.#failTruncate) {
          this.#failTruncate = false;
          throw errno('EIO');
        }
        return real.truncate(length);
      },
      close: () => real.close(),
    };
  }
  rename(from: string, to: string): Promise<void> {
    return nodeIndexFs.rename(from, to);
  }
  remove(path: string): Promise<void> {
    return nodeIndexFs.remove(path);
  }
  syncDir(dir: string): Promise<void> {
    return nodeIndexFs.syncDir(dir);
  }
}

/**
 * A simulated disk for the index log: implements `IndexFs` (@dfs/replication) in memory, with the
 * page cache and the platter kept apart so a crash can lose exactly what a real one would.
 *
 * Model: a file is an inode (`SimFile`) with the bytes processes read and write and the bytes on
 * the platter. `datasync` copies one to the other. Directory entries are kept twice as well: `live`
 * (what processes see) and `durable` (what survives); a create, rename or remove changes `live` and
 * reaches `durable` only through `syncDir` of its parent. A crash rebuilds `live` from `durable`
 * and every inode's data from its durable bytes; inodes no durable entry names are gone.
 *
 * Faults (each switched by the runner): a full disk (every write ENOSPC), EIO on writes and fsyncs,
 * short writes (a prefix is written and its length returned, as POSIX allows), and bit flips at rest
 * (in the durable and the cached bytes alike). Every operation takes a little virtual time, so a
 * crash can fall between a write and its fsync; calls through a dead incarnation never settle.
 */
import { dirname } from 'node:path';
import type { Random } from '@dfs/transport';
import { randomInt } from '@dfs/transport';
import type { IndexFileHandle, IndexFs } from '@dfs/replication';
import type { Incarnation } from './incarnation.js';
import { never } from './incarnation.js';
import { SimFile } from './sim-file.js';

export interface DiskFaultSwitches {
  /** Every write fails with ENOSPC while set. */
  full: boolean;
  /** Probability that a write or fsync fails with EIO. */
  eioRate: number;
  /** Probability that a write stores only a prefix of its bytes (and says so). */
  shortWriteRate: number;
}

type Inode = SimFile;

export class DiskFault extends Error {
  readonly code: 'ENOSPC' | 'EIO' | 'ENOENT';
  constructor(code: 'ENOSPC' | 'EIO' | 'ENOENT', message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

export class SimDisk {
  readonly faults: DiskFaultSwitches = { full: false, eioRate: 0, shortWriteRate: 0 };
  readonly #random: Random;
  #live = new Map<string, Inode>();
  #durable = new Map<string, Inode>();
  /** Counters for the trace and the report. */
  readonly injected = { enospc: 0, eio: 0, shortWrites: 0, bitFlips: 0, lostOnCrash: 0 };

  constructor(random: Random) {
    this.#random = random;
  }

  /** The disk as one process life sees it. */
  view(life: Incarnation): IndexFs {
    return new SimDiskView(this, life);
  }

  /** Power loss: everything not fsynced (data and directory entries) is gone. */
  crash(): void {
    for (const [path, inode] of this.#live) {
      if (this.#durable.get(path) !== inode || inode.differs) {
        this.injected.lostOnCrash++;
      }
    }
    this.#live = new Map(this.#durable);
    for (const inode of this.#live.values()) inode.revert();
  }

  /** Flips one random bit of one random durable file (at rest: the cached copy too). */
  flipBit(): string | undefined {
    const paths = [...this.#durable.keys()].filter(
      (p) => (this.#durable.get(p) as Inode).durableSize > 0,
    );
    if (paths.length === 0) return undefined;
    const path = paths[randomInt(this.#random, paths.length)] as string;
    const inode = this.#durable.get(path) as Inode;
    const offset = randomInt(this.#random, inode.durableSize);
    const bit = 1 << randomInt(this.#random, 8);
    inode.flipBit(offset, bit);
    this.injected.bitFlips++;
    return `${path}@${offset}`;
  }

  // ------------------------------------------------------------ operations (called by views)

  latency(): number {
    return randomInt(this.#random, 3);
  }

  readFile(path: string): Buffer | undefined {
    const inode = this.#live.get(path);
    return inode === undefined ? undefined : inode.read();
  }

  open(path: string, create: boolean): Inode {
    let inode = this.#live.get(path);
    if (inode === undefined) {
      if (!create) throw new DiskFault('ENOENT', `no such file ${path}`);
      inode = new SimFile();
      this.#live.set(path, inode);
    }
    return inode;
  }

  write(inode: Inode, data: Buffer, position: number): number {
    if (this.faults.full && data.length > 0) {
      this.injected.enospc++;
      throw new DiskFault('ENOSPC', 'no space left on device');
    }
    if (this.#chance(this.faults.eioRate)) {
      this.injected.eio++;
      throw new DiskFault('EIO', 'write failed');
    }
    let length = data.length;
    if (length > 1 && this.#chance(this.faults.shortWriteRate)) {
      length = 1 + randomInt(this.#random, length - 1);
      this.injected.shortWrites++;
    }
    inode.write(data, position, length);
    return length;
  }

  datasync(inode: Inode): void {
    if (this.#chance(this.faults.eioRate)) {
      this.injected.eio++;
      throw new DiskFault('EIO', 'fsync failed');
    }
    inode.sync();
  }

  truncate(inode: Inode, length: number): void {
    inode.truncate(length);
  }

  rename(from: string, to: string): void {
    const inode = this.#live.get(from);
    if (inode === undefined) throw new DiskFault('ENOENT', `no such file ${from}`);
    this.#live.set(to, inode);
    this.#live.delete(from);
  }

  remove(path: string): void {
    this.#live.delete(path);
  }

  syncDir(dir: string): void {
    if (this.#chance(this.faults.eioRate)) {
      this.injected.eio++;
      throw new DiskFault('EIO', 'directory fsync failed');
    }
    for (const path of new Set([...this.#live.keys(), ...this.#durable.keys()])) {
      if (dirname(path) !== dir) continue;
      const inode = this.#live.get(path);
      if (inode === undefined) this.#durable.delete(path);
      else this.#durable.set(path, inode);
    }
  }

  #chance(rate: number): boolean {
    return rate > 0 && this.#random.next() < rate;
  }
}

/** Runs `operation` after the disk's latency, unless the process died first (then never settles). */
async function timed<T>(disk: SimDisk, life: Incarnation, operation: () => T): Promise<T> {
  if (!life.alive) return never();
  await life.after(disk.latency());
  if (!life.alive) return never();
  return operation();
}

class SimDiskView implements IndexFs {
  readonly #disk: SimDisk;
  readonly #life: Incarnation;
  constructor(disk: SimDisk, life: Incarnation) {
    this.#disk = disk;
    this.#life = life;
  }
  // Directories are not modelled: ensureDir's contract makes them durable, and there is one.
  ensureDir(): Promise<void> {
    return timed(this.#disk, this.#life, () => undefined);
  }
  readFile(path: string): Promise<Buffer | undefined> {
    return timed(this.#disk, this.#life, () => this.#disk.readFile(path));
  }
  open(path: string, options: { create: boolean }): Promise<IndexFileHandle> {
    return timed(this.#disk, this.#life, () => {
      const inode = this.#disk.open(path, options.create);
      const disk = this.#disk;
      const life = this.#life;
      return {
        write: (data: Buffer, position: number) =>
          timed(disk, life, () => disk.write(inode, data, position)),
        datasync: () => timed(disk, life, () => disk.datasync(inode)),
        truncate: (length: number) => timed(disk, life, () => disk.truncate(inode, length)),
        close: () => timed(disk, life, () => undefined),
      };
    });
  }
  rename(from: string, to: string): Promise<void> {
    return timed(this.#disk, this.#life, () => this.#disk.rename(from, to));
  }
  remove(path: string): Promise<void> {
    return timed(this.#disk, this.#life, () => this.#disk.remove(path));
  }
  syncDir(dir: string): Promise<void> {
    return timed(this.#disk, this.#life, () => this.#disk.syncDir(dir));
  }
}

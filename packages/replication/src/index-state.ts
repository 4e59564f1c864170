/**
 * What the index log replays to: entries by name, the HLC high-water mark, and the encoded size of
 * each name's latest record (what a compacted log would hold, to decide when to compact).
 */
import { compareTimestamps, decodeVersion } from './hlc.js';
import type { HlcTimestamp } from './hlc.js';
import type { IndexEntry } from './index-entry.js';
import { MAGIC, encodeRecord } from './index-log.js';
import type { IndexRecord } from './index-log.js';

export class IndexState {
  readonly entries = new Map<string, IndexEntry>();
  /** Encoded size of each name's latest record: the size a compacted log would have. */
  readonly #liveBytes = new Map<string, number>();
  liveTotal = 0;
  highWater: HlcTimestamp = { wall: 0, counter: 0 };

  apply(record: IndexRecord, frameBytes: number): void {
    switch (record.t) {
      case 'put':
        this.entries.set(record.e.name, record.e);
        this.#setLiveBytes(record.e.name, frameBytes);
        this.highWater = maxTimestamp(this.highWater, decodeVersion(record.e.version));
        break;
      case 'drop':
        this.entries.delete(record.name);
        this.#setLiveBytes(record.name, 0);
        break;
      case 'hlc':
        this.highWater = maxTimestamp(this.highWater, record);
        break;
    }
  }

  /** Magic, the high-water mark and one record per entry: the log this state compacts to. */
  snapshot(): Buffer {
    const frames: Buffer[] = [MAGIC, encodeRecord({ t: 'hlc', ...this.highWater })];
    for (const e of this.entries.values()) frames.push(encodeRecord({ t: 'put', e }));
    return Buffer.concat(frames);
  }

  #setLiveBytes(name: string, bytes: number): void {
    this.liveTotal += bytes - (this.#liveBytes.get(name) ?? 0);
    if (bytes === 0) this.#liveBytes.delete(name);
    else this.#liveBytes.set(name, bytes);
  }
}

function maxTimestamp(a: HlcTimestamp, b: HlcTimestamp | undefined): HlcTimestamp {
  return b !== undefined && compareTimestamps(b, a) > 0 ? { wall: b.wall, counter: b.counter } : a;
}

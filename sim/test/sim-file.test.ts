import { randomInt, seededRandom } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { SimFile } from '../src/faults/sim-file.js';

/** The obvious model: whole copies everywhere. SimFile must behave exactly like it. */
class NaiveFile {
  data = Buffer.alloc(0);
  durable = Buffer.alloc(0);
  write(bytes: Buffer, position: number): void {
    const grown = Buffer.alloc(Math.max(this.data.length, position + bytes.length));
    this.data.copy(grown);
    bytes.copy(grown, position);
    this.data = grown;
  }
  truncate(length: number): void {
    const resized = Buffer.alloc(length);
    this.data.copy(resized, 0, 0, Math.min(length, this.data.length));
    this.data = resized;
  }
  sync(): void {
    this.durable = Buffer.from(this.data);
  }
  revert(): void {
    this.data = Buffer.from(this.durable);
  }
}

describe('SimFile (the simulated disk’s file bytes)', () => {
  it('reads, syncs and reverts exactly like whole-copy files under random writes, truncates, syncs and crashes', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const random = seededRandom(seed);
      const file = new SimFile();
      const model = new NaiveFile();
      for (let step = 0; step < 300; step++) {
        const roll = random.next();
        if (roll < 0.55) {
          const bytes = Buffer.alloc(1 + randomInt(random, 40), 1 + randomInt(random, 255));
          // Mostly appends, sometimes overwrites and writes past the end (a gap).
          const position = randomInt(random, model.data.length + 20);
          file.write(bytes, position, bytes.length);
          model.write(bytes, position);
        } else if (roll < 0.7) {
          const length = randomInt(random, model.data.length + 30);
          file.truncate(length);
          model.truncate(length);
        } else if (roll < 0.9) {
          file.sync();
          model.sync();
        } else {
          expect(file.differs).toBe(!model.data.equals(model.durable));
          file.revert();
          model.revert();
        }
        expect(file.read().equals(model.data)).toBe(true);
        expect(file.size).toBe(model.data.length);
        expect(file.durableSize).toBe(model.durable.length);
      }
    }
  });
});

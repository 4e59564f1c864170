/**
 * One simulated file's bytes, twice: what processes read and write (the page cache) and what is on
 * the platter (durable). `sync` makes the cached bytes durable; `revert` (a crash) throws away what
 * was not.
 *
 * Both copies grow by doubling and `sync` copies only from the lowest offset written or truncated
 * since the last sync, so an append-only log costs O(bytes appended) per append and per fsync,
 * not O(file size): the index log of a node in a 1,000-node cluster is appended to and fsynced
 * thousands of times (every holder the cluster learns of), which the first, copy-everything model
 * made quadratic. Bytes past `size` (and past `durableSize`) are spare capacity, never read: a
 * write past the end or a truncate that extends zero-fills the gap, as a sparse file reads.
 */
export class SimFile {
  #data: Buffer = Buffer.alloc(0);
  #size = 0;
  #durable: Buffer = Buffer.alloc(0);
  #durableSize = 0;
  /** Lowest offset whose cached byte may differ from the durable one; Infinity when in sync. */
  #dirtyFrom = Number.POSITIVE_INFINITY;

  get size(): number {
    return this.#size;
  }

  get durableSize(): number {
    return this.#durableSize;
  }

  /** A copy of what a process reads. */
  read(): Buffer {
    return Buffer.from(this.#data.subarray(0, this.#size));
  }

  get dirty(): boolean {
    return this.#dirtyFrom !== Number.POSITIVE_INFINITY;
  }

  /** True when a crash now would lose or change something. */
  get differs(): boolean {
    if (!this.dirty) return false;
    if (this.#size !== this.#durableSize) return true;
    return !this.#data.subarray(0, this.#size).equals(this.#durable.subarray(0, this.#size));
  }

  /** Writes `length` bytes of `data` at `position` (growing the file, zero-filling any gap). */
  write(data: Buffer, position: number, length: number): void {
    const end = position + length;
    this.#data = ensureCapacity(this.#data, end, this.#size);
    if (position > this.#size) this.#data.fill(0, this.#size, position);
    data.copy(this.#data, position, 0, length);
    // From the old end when writing past it: the zero-filled gap is new too.
    this.#dirtyFrom = Math.min(this.#dirtyFrom, position, this.#size);
    this.#size = Math.max(this.#size, end);
  }

  truncate(length: number): void {
    this.#data = ensureCapacity(this.#data, length, this.#size);
    if (length > this.#size) this.#data.fill(0, this.#size, length);
    this.#dirtyFrom = Math.min(this.#dirtyFrom, length, this.#size);
    this.#size = length;
  }

  /** fsync: the durable bytes become the cached ones. */
  sync(): void {
    if (!this.dirty) return;
    const from = Math.min(this.#dirtyFrom, this.#size);
    this.#durable = ensureCapacity(this.#durable, this.#size, this.#durableSize);
    this.#data.copy(this.#durable, from, from, this.#size);
    this.#durableSize = this.#size;
    this.#dirtyFrom = Number.POSITIVE_INFINITY;
  }

  /** A crash: the cached bytes become the durable ones. */
  revert(): void {
    this.#data = Buffer.from(this.#durable.subarray(0, this.#durableSize));
    this.#size = this.#durableSize;
    this.#dirtyFrom = Number.POSITIVE_INFINITY;
  }

  /** Flips bit `bit` (a mask) of the durable byte at `offset`, and of the cached one (at rest). */
  flipBit(offset: number, bit: number): void {
    this.#durable[offset] = (this.#durable[offset] as number) ^ bit;
    if (offset < this.#size) this.#data[offset] = (this.#data[offset] as number) ^ bit;
  }
}

/** `buffer` if it holds `needed` bytes, else a copy (of its first `used` bytes) twice as large. */
function ensureCapacity(buffer: Buffer, needed: number, used: number): Buffer {
  if (needed <= buffer.length) return buffer;
  // Not zero-filled: what lies past the used bytes is never read before it is written.
  const grown = Buffer.allocUnsafe(Math.max(needed, 2 * buffer.length, 256));
  buffer.copy(grown, 0, 0, used);
  return grown;
}

import type { PeerInfo } from '@dfs/transport';
import type { BucketDigest, BucketRef } from './digest-tree.js';
import { DigestTree } from './digest-tree.js';
import { GossipError } from './errors.js';

/** One unit of reconciled state, opaque to the framework: the reconciler encodes its own values. */
export interface ReconcileEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

/**
 * What a component plugs into `AntiEntropy` to have its state reconciled with peers. Keys are placed
 * in buckets by their hash (`bucketOf`); the easiest way to answer `digest` and `entriesIn` is to keep
 * a `DigestTree` beside the state and update it on every change.
 */
export interface Reconciler {
  /** Digest of the local entries in `bucket` (depth 0..DIGEST_DEPTH). Called often: keep it O(1). */
  digest(bucket: BucketRef): BucketDigest;
  /** Local entries whose keys fall in any of `buckets`. */
  entriesIn(
    buckets: readonly BucketRef[],
  ): readonly ReconcileEntry[] | Promise<readonly ReconcileEntry[]>;
  /**
   * Merges entries pulled from `from`. The reconciler decides what is newer (its digest must then
   * change accordingly); entries are not trusted: validate values before use.
   */
  apply(entries: readonly ReconcileEntry[], from: PeerInfo): void | Promise<void>;
}

export interface VersionedValue {
  /** Higher wins; equal versions are ordered by the value bytes so every node picks the same one. */
  readonly version: number;
  readonly data: Uint8Array;
}

const VERSION_BYTES = 8;

/**
 * A ready-made reconciled state: a last-writer-wins map of key → {version, data}. Used by the
 * simulator and tests, and a compact example of implementing `Reconciler` with a `DigestTree`.
 */
export class VersionedMap implements Reconciler {
  readonly #values = new Map<string, VersionedValue>();
  readonly #tree = new DigestTree();

  get size(): number {
    return this.#values.size;
  }

  get(key: string): VersionedValue | undefined {
    return this.#values.get(key);
  }

  keys(): IterableIterator<string> {
    return this.#values.keys();
  }

  /** Stores `value` unless the map holds a newer one; returns whether it changed anything. */
  set(key: string, value: VersionedValue): boolean {
    if (!Number.isFinite(value.version)) {
      throw new GossipError('ERR_INVALID_OPTION', 'version must be a finite number');
    }
    const current = this.#values.get(key);
    if (current && compareVersioned(current, value) >= 0) return false;
    this.#values.set(key, value);
    this.#tree.set(key, encodeVersioned(value));
    return true;
  }

  digest(bucket: BucketRef): BucketDigest {
    return this.#tree.digest(bucket);
  }

  entriesIn(buckets: readonly BucketRef[]): ReconcileEntry[] {
    const entries: ReconcileEntry[] = [];
    for (const bucket of buckets) {
      for (const key of this.#tree.keysIn(bucket)) {
        const value = this.#values.get(key);
        if (value) entries.push({ key, value: encodeVersioned(value) });
      }
    }
    return entries;
  }

  apply(entries: readonly ReconcileEntry[]): void {
    for (const entry of entries) {
      const value = decodeVersioned(entry.value);
      if (value) this.set(entry.key, value);
    }
  }
}

function compareVersioned(a: VersionedValue, b: VersionedValue): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return Buffer.compare(a.data, b.data);
}

function encodeVersioned(value: VersionedValue): Uint8Array {
  const bytes = Buffer.allocUnsafe(VERSION_BYTES + value.data.byteLength);
  bytes.writeDoubleBE(value.version, 0);
  bytes.set(value.data, VERSION_BYTES);
  return bytes;
}

/** Undefined for bytes that are not an encoded VersionedValue (untrusted input from a peer). */
function decodeVersioned(bytes: Uint8Array): VersionedValue | undefined {
  if (bytes.byteLength < VERSION_BYTES) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.readDoubleBE(0);
  if (!Number.isFinite(version)) return undefined;
  return { version, data: new Uint8Array(view.subarray(VERSION_BYTES)) };
}

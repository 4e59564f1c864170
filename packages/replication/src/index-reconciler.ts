/**
 * Plugs the file index into @dfs/gossip's pull anti-entropy. Each name is a reconciled key whose
 * fingerprint is its replicated state (version, tombstone flag, sha256, holder slots as on the wire);
 * a `DigestTree` beside the index keeps bucket digests current in O(1) per change, so a round with
 * an agreeing peer costs one small request. Pulled entries are untrusted bytes: each is decoded,
 * validated with the wire schema and must name the key it came under before it is merged (LWW).
 * What one response can make us parse is bounded: at most MAX_SYNC_ENTRIES entries of at most
 * MAX_SYNC_VALUE_BYTES each; the rest is dropped as invalid (an honest peer stays within its round's
 * byte budget, 1 MiB, far below either bound) and later rounds bring what was dropped.
 */
import type { PeerInfo } from '@dfs/transport';
import { DigestTree } from '@dfs/gossip';
import type { BucketDigest, BucketRef, ReconcileEntry, Reconciler } from '@dfs/gossip';
import type { ReplicatedEntry } from './merge.js';
import { wireEntrySchema } from './wire.js';

/**
 * Entries applied from one anti-entropy response. An honest response holds at most the round's
 * 1 MiB budget: about 7,000 of the smallest possible entries.
 */
export const MAX_SYNC_ENTRIES = 16_384;
/** Largest encoded entry: a valid one (1,024 holder slots of 128-character ids) is under 200 KiB. */
export const MAX_SYNC_VALUE_BYTES = 256 * 1024;

export interface IndexReconcilerHooks {
  /** The wire form of `name`'s current entry, or undefined if gone. */
  wireEntry(name: string): ReplicatedEntry | undefined;
  /** Merge validated entries pulled from `from`, in order. */
  apply(entries: readonly ReplicatedEntry[], from: PeerInfo): Promise<void>;
  /** Count a value that failed validation. */
  invalid(from: PeerInfo): void;
}

export function fingerprintOf(entry: ReplicatedEntry): string {
  // Equal merged states give equal fingerprints: slots are kept sorted, one per node.
  const slots = JSON.stringify(entry.holders.map((s) => [s.node, s.seq, s.holds]));
  return `${entry.version}|${entry.deleted ? 'd' : 'l'}|${entry.sha256}|${slots}`;
}

export function encodeEntry(entry: ReplicatedEntry): Uint8Array {
  return Buffer.from(JSON.stringify(entry), 'utf8');
}

export function decodeEntry(value: Uint8Array): ReplicatedEntry | undefined {
  if (value.byteLength > MAX_SYNC_VALUE_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(
      Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'),
    );
  } catch {
    return undefined;
  }
  const result = wireEntrySchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

export class IndexReconciler implements Reconciler {
  readonly #tree = new DigestTree();
  readonly #hooks: IndexReconcilerHooks;

  constructor(hooks: IndexReconcilerHooks) {
    this.#hooks = hooks;
  }

  /** Keeps the digests in step with the index (call on every change; `undefined` removes). */
  update(name: string, entry: ReplicatedEntry | undefined): void {
    if (entry === undefined) this.#tree.delete(name);
    else this.#tree.set(name, fingerprintOf(entry));
  }

  digest(bucket: BucketRef): BucketDigest {
    return this.#tree.digest(bucket);
  }

  entriesIn(buckets: readonly BucketRef[]): ReconcileEntry[] {
    const out: ReconcileEntry[] = [];
    for (const bucket of buckets) {
      for (const name of this.#tree.keysIn(bucket)) {
        const entry = this.#hooks.wireEntry(name);
        if (entry !== undefined) out.push({ key: name, value: encodeEntry(entry) });
      }
    }
    return out;
  }

  async apply(entries: readonly ReconcileEntry[], from: PeerInfo): Promise<void> {
    const valid: ReplicatedEntry[] = [];
    for (const [i, { key, value }] of entries.entries()) {
      if (i >= MAX_SYNC_ENTRIES) {
        this.#hooks.invalid(from);
        break;
      }
      const entry = decodeEntry(value);
      if (entry === undefined || entry.name !== key) this.#hooks.invalid(from);
      else valid.push(entry);
    }
    await this.#hooks.apply(valid, from);
  }
}

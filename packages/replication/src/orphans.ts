/**
 * Bodies the index does not refer to, sorted once at open (before the engine accepts puts or
 * pushes, so nothing in flight can be mistaken for one). A body is never deleted just because the
 * index lost track of it:
 *
 * - salvage (the index was recovered with damage, or was missing while the store has bodies): a
 *   body this node stored from a local put or a pull is adopted as a local entry with the name,
 *   version, size and sha256 its store metadata and the store record; last-writer-wins then settles
 *   it with the peers through anti-entropy. A *pushed* body, or one marked `failed-put`, is
 *   quarantined instead: that write may have failed, so only an entry of its version may claim it;
 * - quarantine (the index is intact, so the body is a failed write or an unclaimed push): kept,
 *   claimable by an announcement of exactly its version, deleted only after the unclaimed timeout;
 * - superseded (the index has its name at a newer version or tombstone): deleted.
 *
 * Bodies of any version the index knows are kept (a not-yet-local one is claimed later by its
 * sha256 instead of being pulled again).
 */
import { blobKey } from './blob-store.js';
import type { BlobMetadata, BlobStore } from './blob-store.js';
import type { FileIndex, IndexEntry } from './file-index.js';
import { compareVersions, isVersion } from './hlc.js';
import { nameProblem } from '@dfs/api';
import type { HeldBody } from './unclaimed-bodies.js';

export interface UnreferencedBodies {
  salvaged: number;
  quarantined: number;
  superseded: number;
}

interface SalvageCandidate {
  key: string;
  name: string;
  version: string;
  size: number;
  sha256: string;
}

/** The name and version a body's store metadata claims, if they are valid and match its key. */
export function bodyOrigin(
  key: string,
  metadata: BlobMetadata | undefined,
): { name: string; version: string } | undefined {
  const name = metadata?.['name'];
  const version = metadata?.['version'];
  if (typeof name !== 'string' || typeof version !== 'string') return undefined;
  if (nameProblem(name) !== undefined || !isVersion(version)) return undefined;
  return blobKey(name, version) === key ? { name, version } : undefined;
}

export async function sortUnreferencedBodies(options: {
  store: BlobStore;
  index: FileIndex;
  /** Adopt unreferenced bodies as entries (the index lost records) instead of quarantining them. */
  salvage: boolean;
  /** This node: a salvaged entry gets its own holder slot. */
  nodeId: string;
  quarantine: (key: string, body: HeldBody) => void;
}): Promise<UnreferencedBodies> {
  const { store, index } = options;
  const outcome: UnreferencedBodies = { salvaged: 0, quarantined: 0, superseded: 0 };
  if (store.list === undefined) return outcome;
  const referenced = new Set<string>();
  for (const entry of index.entries()) {
    if (!entry.deleted) referenced.add(blobKey(entry.name, entry.version));
  }
  const superseded: string[] = [];
  const candidates = new Map<string, SalvageCandidate[]>();
  for await (const stored of store.list()) {
    if (referenced.has(stored.key)) continue;
    const origin = bodyOrigin(stored.key, stored.metadata);
    if (origin === undefined) {
      options.quarantine(stored.key, {});
      outcome.quarantined++;
      continue;
    }
    const current = index.get(origin.name);
    if (current !== undefined && compareVersions(current.version, origin.version) > 0) {
      superseded.push(stored.key);
      continue;
    }
    const described =
      stored.size !== undefined && stored.sha256 !== undefined
        ? { size: stored.size, sha256: stored.sha256 }
        : await store.stat(stored.key).catch(() => undefined);
    // A pushed body was never acknowledged by this node (the origin may have failed its write after
    // streaming it), nor was a failed put's: only an entry of exactly that version may claim them.
    const bodyFrom = stored.metadata?.['origin'];
    const unacknowledged = bodyFrom === 'push' || bodyFrom === 'failed-put';
    if (!options.salvage || described === undefined || unacknowledged) {
      options.quarantine(stored.key, origin);
      outcome.quarantined++;
      continue;
    }
    const list = candidates.get(origin.name) ?? [];
    list.push({ key: stored.key, ...origin, size: described.size, sha256: described.sha256 });
    candidates.set(origin.name, list);
  }
  const adopted: Promise<void>[] = [];
  for (const bodies of candidates.values()) {
    bodies.sort((a, b) => compareVersions(b.version, a.version));
    const [newest, ...older] = bodies;
    if (newest === undefined) continue;
    const replaced = index.get(newest.name);
    if (replaced?.local === true && !replaced.deleted) {
      superseded.push(blobKey(replaced.name, replaced.version));
    }
    const entry: IndexEntry = {
      name: newest.name,
      version: newest.version,
      size: newest.size,
      sha256: newest.sha256,
      deleted: false,
      expiresAt: 0,
      holders: [{ node: options.nodeId, seq: 1, holds: true }],
      local: true,
    };
    adopted.push(index.set(entry)); // one group commit for all of them
    superseded.push(...older.map((b) => b.key));
  }
  await Promise.all(adopted);
  outcome.salvaged = adopted.length;
  // Only once the newer entries are durable.
  for (const key of superseded)
    if (await store.delete(key).catch(() => false)) outcome.superseded++;
  return outcome;
}

/**
 * The node's replication engine: a `FileService` that stores files durably on this node and spreads
 * them, their deletes and their holder sets to every other node.
 *
 * Versions are hybrid-logical-clock timestamps plus node id (hlc.ts); the newest version of a name
 * wins, for puts and deletes (tombstones) alike (merge.ts). Each node keeps a crash-safe index of
 * names → newest entry (file-index.ts) and stores each version's bytes under its own store key.
 *
 * Peer protocol (all messages validated with zod on receipt, wire.ts):
 *
 * - `dfs/repl/announce/2` (one-way) `{ entries: Entry[] }` where Entry is
 *   `{ name, version, size, sha256, deleted, expiresAt, holders }` and `holders` is a list of slots
 *   `{ node, seq, holds }`, one per node, each written only by its node (merge.ts), so a holder set
 *   can shrink. Sent to `fanout` random live peers after a local put or delete, and re-sent by every
 *   node whose state it changed (a newer version, or changed slots); stale entries stop there, so
 *   spread terminates and duplicates are free. A node that adopts a newer live version pulls its body.
 * - `dfs/repl/fetch/1` (bulk stream) header `{ name, version }`: a holder streams that version's
 *   body; the puller verifies the sha256 while storing it (store put with expectedSha256), sets its
 *   own slot to holding and re-announces. A node never pulls a version it holds or is already pulling.
 * - `dfs/repl/push/2` (bulk stream, along a chain: origin → first target → next …) header
 *   `{ name, version, chain }` (≤ 16 member ids): the body of a put while it is still uploading, teed
 *   from the upload, so replication overlaps it; each receiver stores it and relays it to the next
 *   live node of `chain` it knows, resolved through its own membership view. Each node ends its
 *   downstream only after its upstream ended and its own commit (destroys it if either fails); a
 *   node keeps the bytes as its copy only once the version's entry arrives and its sha256 matches.
 * - `dfs/repl/lookup/2` (request) `{ name }` → `{ entry | null }`: asked of live peers on a read,
 *   stat or delete of a name this node does not know, so a 404 means no live node knows it.
 * - `dfs/gossip/anti-entropy/1/dfs-files` (@dfs/gossip `AntiEntropy`): every interval each node
 *   reconciles its index with one random live peer by hashed name-range digests and merges what
 *   differs. This is what converges nodes after loss, partitions, restarts and late joins.
 *
 * Entries from peers pass the receive-side rules first (incoming.ts, peer-guard.ts): a version
 * `maxClockSkewMs` or more ahead of the local clock is refused, slots must be of known members,
 * announced entries are capped per peer, and a tombstone's expiry is computed locally — the wire's
 * `expiresAt` is informational and ignored on receipt.
 *
 * Tombstones expire `tombstoneTtlMs` after their version's wall time. A background scrub
 * re-verifies local bodies; a corrupt one is dropped (announced as no longer held) and pulled again
 * from a healthy holder.
 */
import { ReplicationEngine } from './engine.js';
import type { ReplicatedFileServiceOptions } from './engine.js';

export { ReplicationEngine } from './engine.js';
export type { ReplicatedFileServiceOptions, ReplicationLogger } from './engine.js';
export type { BlobMetadata, BlobStore, BlobPutOptions } from './blob-store.js';
export { blobKey } from './blob-store.js';
export { REPLICATION_DEFAULTS, resolveConfig } from './config.js';
export type { ReplicationConfig } from './config.js';
export { ReplicationError, isReplicationError } from './errors.js';
export type { ReplicationErrorCode } from './errors.js';
export type { ReplicationStats } from './stats.js';
export { FILE_EVENT_KINDS, fileEventOf } from './file-events.js';
export type { FileEvent, FileEventKind, FileEventListener } from './file-events.js';
export { ClockExhaustedError, compareVersions, decodeVersion, versionWallTime } from './hlc.js';
export { PROTOCOLS } from './wire.js';
export { encodeCursor as listCursorAfter } from './list-order.js';

/** Options of `createReplicatedFileService` (the engine's own options). */
export type CreateReplicatedFileServiceOptions = ReplicatedFileServiceOptions;

/**
 * Opens the index and returns the engine, not yet started: call `start()` once the transport
 * listens, and `stop()` before closing the transport and the store.
 */
export function createReplicatedFileService(
  options: CreateReplicatedFileServiceOptions,
): Promise<ReplicationEngine> {
  return ReplicationEngine.open(options);
}
export type { ByteRange, FileInfo, FileService, ListOptions, PutOptions } from './file-service.js';
export type { FileMeta } from '@dfs/api';
export type { IndexFs, IndexFileHandle } from './index-fs.js';
export { nodeIndexFs } from './index-fs.js';
export {
  MAX_PLACEMENT_WEIGHT,
  PLACEMENT_VERSION,
  Placement,
  PlacementError,
  placementTargets,
  rankMembers,
} from './placement.js';
export type { PlacementErrorCode, PlacementMember } from './placement.js';
export { PlacementCache } from './placement-cache.js';
export type { PlacementCacheOptions, PlacementChange } from './placement-cache.js';
export { placementKey, placementNameHash, placementNodeHash } from './placement-hash.js';
export type { Hash64 } from './placement-hash.js';
export type { PlacementView } from './placement-view.js';
export { CLUSTER_PLACEMENT_DEFAULTS, ClusterPlacement } from './cluster-placement.js';
export type {
  ClusterPlacementOptions,
  MemberPlacement,
  PlacementState,
} from './cluster-placement.js';
export { MAX_NODE_REPLICAS, MAX_NODE_ROWS, mergeRows, nodeRowSchema } from './nodes-table.js';
export type { NodeRow, NodeStatus } from './nodes-table.js';
export { NODES_FILE } from './nodes-file.js';
export { NODES_PROTOCOL, NodesSyncError, NodesTableSync } from './nodes-table-sync.js';
export type { NodesTableSyncOptions } from './nodes-table-sync.js';
export type { SwimState } from './out-tracker.js';

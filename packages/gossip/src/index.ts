export {
  RUMOR_DEFAULTS,
  ANTI_ENTROPY_DEFAULTS,
  DIGEST_BRANCHING,
  DIGEST_DEPTH,
} from './defaults.js';
export type { GossipErrorCode } from './errors.js';
export { GossipError, isGossipError } from './errors.js';
export type {
  RumorMongerOptions,
  ReceivedRumor,
  RumorHandler,
  BroadcastOptions,
  RumorStats,
} from './rumor-monger.js';
export { RumorMonger } from './rumor-monger.js';
export type { Rumor } from './wire.js';
export { rumorBytes } from './wire.js';
export { DedupCache } from './dedup-cache.js';
export type { QueuedItem, RetransmitOrder, RetransmitQueueOptions } from './retransmit-queue.js';
export { RetransmitQueue, retransmitLimit } from './retransmit-queue.js';
export { selectPeers, randomMessageId } from './peer-selection.js';
export type { BucketRef, BucketDigest } from './digest-tree.js';
export {
  DigestTree,
  EMPTY_DIGEST,
  bucketOf,
  childrenOf,
  keyHash,
  sameDigest,
  isValidBucket,
} from './digest-tree.js';
export type { Reconciler, ReconcileEntry, VersionedValue } from './reconciler.js';
export { VersionedMap } from './reconciler.js';
export type { AntiEntropyOptions, AntiEntropyStats } from './anti-entropy.js';
export { AntiEntropy } from './anti-entropy.js';
export type { SyncResult } from './sync-session.js';

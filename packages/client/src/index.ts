export {
  DfsClient,
  createClient,
  type Download,
  type ByteRange,
  type Progress,
  type ProgressCallback,
} from './client.js';
export type {
  DfsClientOptions,
  GetOptions,
  GetToFileOptions,
  ListOptions,
  PutOptions,
  CallOptions,
} from './client-options.js';
export type { UploadBody } from './body.js';
export {
  DEFAULT_CHUNK_BYTES,
  type ResumableUploadOptions,
  type UploadSessionRef,
} from './resumable-upload.js';
export {
  DfsClientError,
  isDfsClientError,
  normalizeServerCode,
  type DfsClientErrorCode,
} from './errors.js';
export { encodeName, decodeName, nameProblem, MAX_NAME_BYTES } from '@dfs/api';
export { DEFAULT_NODE, nodeUrl, parseNodes, displayNode } from './nodes.js';
export type { FetchFunction, SleepFunction } from './node-caller.js';
export type {
  ClusterView,
  FileEntry,
  FileStat,
  Health,
  ListPage,
  Member,
  MemberPlacement,
  MemberState,
  NodeRow,
  PlacementState,
  PutResult,
  NodeStats,
  MemberStatus,
  StatusView,
} from './types.js';

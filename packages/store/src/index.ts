export { openStore, type OpenStoreOptions } from './store.js';
export { MAX_METADATA_BYTES } from './argument-checks.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';
export { sha256Layout, goCompatibleLayout, type PathLayout } from './layout.js';
export { MAX_KEY_BYTES } from './keys.js';
export type {
  ByteRange,
  ConditionalOptions,
  GetOptions,
  ListOptions,
  PutBody,
  PutOptions,
  SignalOptions,
  Store,
  StoreEntry,
  StoreMetadata,
  StoreReadStream,
} from './types.js';

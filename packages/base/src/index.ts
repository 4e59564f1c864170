export { CodedError, errorCode, isCodedError, type CodedErrorOptions } from './coded-error.js';
export { backoffCeiling, backoffDelay, type BackoffJitter, type BackoffPolicy } from './backoff.js';
export {
  ensureDirectoryDurably,
  fsyncDirectory,
  writeFileDurably,
  type DurabilityOptions,
  type DurableData,
  type WriteFileDurablyOptions,
} from './durable-fs.js';

/**
 * Every failure the store reports is a `StoreError` with a stable `code`, so callers (the node's HTTP
 * layer maps codes to statuses in one table) branch on codes, never on message text.
 */
import { CodedError, errorCode } from '@dfs/base';

export type StoreErrorCode =
  /** No entry for the key (get, verify, setMetadata). */
  | 'ERR_NOT_FOUND'
  /** Stored or streamed bytes do not match their sha256/size, or an entry file is damaged. */
  | 'ERR_INTEGRITY'
  /** The caller's AbortSignal fired. */
  | 'ERR_ABORTED'
  /** The key is not a non-empty, well-formed string of at most MAX_KEY_BYTES UTF-8 bytes. */
  | 'ERR_INVALID_KEY'
  /** An option or argument has the wrong type or value. */
  | 'ERR_INVALID_ARGUMENT'
  /** The disk is full (ENOSPC) or a quota was hit (EDQUOT). */
  | 'ERR_NO_SPACE'
  /** The body is longer than `maxBytes`. */
  | 'ERR_TOO_LARGE'
  /** The byte range is not satisfiable for the entry's size. */
  | 'ERR_RANGE'
  /** The store was closed. */
  | 'ERR_CLOSED'
  /** An `ifSha256` condition did not hold. */
  | 'ERR_PRECONDITION'
  /** The directory was created with a different path layout. */
  | 'ERR_LAYOUT_MISMATCH'
  /** Any other filesystem failure (the original error is the `cause`). */
  | 'ERR_IO';

export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';
}

export function isStoreError(error: unknown, code?: StoreErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

/** The errno-style code of a Node system error, if it has one: `errorCode` of @dfs/base. */
export const systemErrorCode = errorCode;

/** Wraps anything thrown by `fs` (or elsewhere) into a StoreError; StoreErrors pass through. */
export function toStoreError(error: unknown, context: string): StoreError {
  if (error instanceof StoreError) return error;
  const sys = systemErrorCode(error);
  if (sys === 'ENOSPC' || sys === 'EDQUOT') {
    return new StoreError('ERR_NO_SPACE', `${context}: no space left on device`, { cause: error });
  }
  if (sys === 'ABORT_ERR')
    return new StoreError('ERR_ABORTED', `${context}: aborted`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new StoreError('ERR_IO', `${context}: ${message}`, { cause: error });
}

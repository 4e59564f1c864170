/**
 * Errors the replication engine throws through `FileService`. The HTTP layer maps `code` to a status
 * in one table (ERR_NOT_FOUND → 404, ERR_RANGE → 416, ERR_TOO_LARGE → 413, ERR_NO_SPACE → 507,
 * ERR_INVALID_NAME → 400, ERR_TIMEOUT → 504, ERR_UNAVAILABLE → 503, ERR_INTEGRITY → 502 …).
 * ERR_IO is a local disk failure other than a full disk (the index log could not be written); it
 * maps to 500.
 */
import { CodedError, errorCode } from '@dfs/base';

export type ReplicationErrorCode =
  | 'ERR_NOT_FOUND'
  | 'ERR_RANGE'
  | 'ERR_TOO_LARGE'
  | 'ERR_INTEGRITY'
  | 'ERR_NO_SPACE'
  | 'ERR_TIMEOUT'
  | 'ERR_INVALID_NAME'
  | 'ERR_ABORTED'
  | 'ERR_UNAVAILABLE'
  | 'ERR_IO';

export class ReplicationError extends CodedError<ReplicationErrorCode> {
  override readonly name = 'ReplicationError';
}

export function isReplicationError(
  error: unknown,
  code?: ReplicationErrorCode,
): error is ReplicationError {
  return error instanceof ReplicationError && (code === undefined || error.code === code);
}

/** The string `code` of any error-like value (store, transport and Node errors all carry one). */
export { errorCode };

const PASSED_THROUGH = new Set<string>([
  'ERR_NOT_FOUND',
  'ERR_RANGE',
  'ERR_TOO_LARGE',
  'ERR_INTEGRITY',
  'ERR_NO_SPACE',
  'ERR_TIMEOUT',
  'ERR_ABORTED',
]);

/**
 * Re-types an error from the store or the transport so callers see one error class: codes we share
 * keep their meaning, ENOSPC becomes ERR_NO_SPACE, AbortError becomes ERR_ABORTED; anything else is
 * returned unchanged (a bug or an I/O failure the caller should see as a 500).
 */
export function toReplicationError(error: unknown): unknown {
  if (error instanceof ReplicationError) return error;
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code !== undefined && PASSED_THROUGH.has(code)) {
    return new ReplicationError(code as ReplicationErrorCode, message, { cause: error });
  }
  if (code === 'ENOSPC') return new ReplicationError('ERR_NO_SPACE', message, { cause: error });
  if (code === 'ABORT_ERR' || (error instanceof Error && error.name === 'AbortError')) {
    return new ReplicationError('ERR_ABORTED', message, { cause: error });
  }
  return error;
}

/**
 * Errors carry a stable `code` so callers branch on codes, never on message text. A request handler
 * that throws a `GossipError` sends its code back to the requesting peer through the transport.
 */
import { CodedError } from '@dfs/base';

export type GossipErrorCode =
  /** A received message failed validation; it touched no state. */
  | 'ERR_INVALID_MESSAGE'
  /** An option passed to a constructor or method is out of range. */
  | 'ERR_INVALID_OPTION'
  /** A payload or topic is larger than the configured limit. */
  | 'ERR_TOO_LARGE'
  /** The component was stopped (or never started) when the call was made. */
  | 'ERR_STOPPED'
  /** A peer answered with a digest tree of a different shape than ours. */
  | 'ERR_DIGEST_MISMATCH';

export class GossipError extends CodedError<GossipErrorCode> {
  override readonly name = 'GossipError';
}

export function isGossipError(error: unknown, code?: GossipErrorCode): error is GossipError {
  return error instanceof GossipError && (code === undefined || error.code === code);
}

import { CodedError } from '@dfs/base';

/** Stable codes callers branch on; the message text may change between versions. */
export type DiscoveryErrorCode =
  | 'ERR_INVALID_CONFIG'
  | 'ERR_ALREADY_STARTED'
  | 'ERR_NOT_STARTED'
  | 'ERR_STOPPED'
  | 'ERR_JOIN_TIMEOUT'
  | 'ERR_INVALID_MESSAGE'
  | 'ERR_WRONG_NODE'
  | 'ERR_PROBE_FAILED';

export class DiscoveryError extends CodedError<DiscoveryErrorCode> {
  override readonly name = 'DiscoveryError';
}

export function isDiscoveryError(
  error: unknown,
  code?: DiscoveryErrorCode,
): error is DiscoveryError {
  return error instanceof DiscoveryError && (code === undefined || error.code === code);
}

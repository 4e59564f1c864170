/**
 * Errors the node raises itself carry a stable `code` (ERR_…). The HTTP layer maps codes — ours, the
 * replication engine's, the store's and the system's — to statuses in one table (http/errors.ts).
 */
import { CodedError, errorCode, type CodedErrorOptions } from '@dfs/base';

export type NodeErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_INVALID_NAME'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_NOT_FOUND'
  | 'ERR_UNKNOWN_NODE'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_TOO_LARGE'
  | 'ERR_CONFLICT'
  | 'ERR_CHECKSUM_MISMATCH'
  | 'ERR_TOO_MANY_UPLOADS'
  | 'ERR_RANGE'
  | 'ERR_UNAVAILABLE'
  | 'ERR_TIMEOUT'
  | 'ERR_NO_SPACE'
  | 'ERR_STARTUP';

export class NodeError extends CodedError<NodeErrorCode> {
  override readonly name = 'NodeError';
  /** Extra response headers when this error becomes an HTTP answer (Allow, Content-Range, …). */
  readonly headers: Record<string, string>;

  constructor(
    code: NodeErrorCode,
    message: string,
    options?: CodedErrorOptions & { headers?: Record<string, string> },
  ) {
    super(code, message, options);
    this.headers = options?.headers ?? {};
  }
}

/** The `code` of any error-like value (ours, a package's, or a Node system error), if it has one. */
export { errorCode };

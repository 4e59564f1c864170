/**
 * Errors the node raises itself carry a stable `code` (ERR_…). The HTTP layer maps codes — ours, the
 * replication engine's, the store's and the system's — to statuses in one table (http/errors.ts).
 */
export type NodeErrorCode =
  | 'ERR_BAD_REQUEST'
  | 'ERR_INVALID_NAME'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_TOO_LARGE'
  | 'ERR_RANGE'
  | 'ERR_UNAVAILABLE'
  | 'ERR_TIMEOUT'
  | 'ERR_NO_SPACE'
  | 'ERR_STARTUP';

export class NodeError extends Error {
  override readonly name = 'NodeError';
  readonly code: NodeErrorCode;
  /** Extra response headers when this error becomes an HTTP answer (Allow, Content-Range, …). */
  readonly headers: Record<string, string>;

  constructor(
    code: NodeErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.headers = options?.headers ?? {};
  }
}

/** The `code` of any error-like value (ours, a package's, or a Node system error), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

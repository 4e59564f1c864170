/**
 * Every dfs error carries a stable string `code` (`ERR_NOT_FOUND`, `ERR_FRAME_TOO_LARGE`, …) so
 * callers branch on codes, never on message text, the way js-libp2p's `CodeError` does. Each package
 * subclasses `CodedError` with its own name and its own union of codes (`StoreError`,
 * `TransportError`, …); `instanceof` the subclass still tells whose error it is, and `errorCode`
 * reads the code of any error-like value, ours or a Node system error's (`ENOENT`, `ENOSPC`).
 */

export interface CodedErrorOptions {
  /** The error this one wraps (a system error, a peer's error, …). */
  cause?: unknown;
  /** Structured facts about the failure for logs and callers (a key, a limit, an address). */
  details?: Readonly<Record<string, unknown>>;
}

export class CodedError<Code extends string = string> extends Error {
  override readonly name: string = 'CodedError';
  /** Stable: callers and the HTTP layer branch on it; the message may change between versions. */
  readonly code: Code;
  /** Set only when given, so errors without details look exactly like before. */
  declare readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, options?: CodedErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.details !== undefined) this.details = options.details;
  }
}

/** True for any `CodedError` (of any package), optionally with the given code. */
export function isCodedError(error: unknown, code?: string): error is CodedError {
  return error instanceof CodedError && (code === undefined || error.code === code);
}

/**
 * The string `code` of any error-like value — a `CodedError`, a Node system error (`ENOENT`), an
 * `AbortError` (`ABORT_ERR`) — or undefined when it has none.
 */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const { code } = error;
  return typeof code === 'string' ? code : undefined;
}

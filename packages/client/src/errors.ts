import { isApiErrorCode, type ApiErrorCode } from '@dfs/api';

/**
 * Every failure the client reports is a `DfsClientError` with a stable `code`, so callers branch on
 * codes, never on message text. Server errors (`{"error":{"code":"NOT_FOUND",…}}`) arrive with the
 * server's code in `ERR_` form (`ERR_NOT_FOUND`), the raw code in `serverCode` and the HTTP `status`.
 */
import { CodedError } from '@dfs/base';

export type DfsClientErrorCode =
  /** No node answered: every address refused the connection or could not be resolved. */
  | 'ERR_UNREACHABLE'
  /** The connection broke after the request was sent (reset, closed mid-body). */
  | 'ERR_NETWORK'
  /** The caller's AbortSignal fired. */
  | 'ERR_ABORTED'
  /** The name is not a valid dfs name (checked before anything is sent). */
  | 'ERR_INVALID_NAME'
  /** A bad argument to a client method (node address, range, body type). */
  | 'ERR_INVALID_ARGUMENT'
  /** The server answered something that does not follow the API. */
  | 'ERR_BAD_RESPONSE'
  /** Downloaded bytes do not match the sha256 the server announced. */
  | 'ERR_INTEGRITY'
  /** A download could not be resumed: a newer version replaced the file meanwhile. */
  | 'ERR_CHANGED'
  /** getToFile: the target exists and `overwrite` was not set. */
  | 'ERR_EXISTS'
  /** Mapped from HTTP statuses / server codes. */
  | 'ERR_BAD_REQUEST'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  /** drainNode / removeNode: the node knows no member with that id. */
  | 'ERR_UNKNOWN_NODE'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_TOO_LARGE'
  /** An upload session's offset differs from the chunk's (resume from the node's offset). */
  | 'ERR_CONFLICT'
  /** A completed upload session's bytes do not match the sha256 given at its creation. */
  | 'ERR_CHECKSUM_MISMATCH'
  /** The node holds as many upload sessions as it allows. */
  | 'ERR_TOO_MANY_UPLOADS'
  | 'ERR_RANGE'
  | 'ERR_UNAVAILABLE'
  | 'ERR_TIMEOUT'
  | 'ERR_INSUFFICIENT_STORAGE'
  | 'ERR_SERVER';

/** The client's code for each of the API's (a code added to the contract must be mapped here). */
const fromApi: Record<ApiErrorCode, DfsClientErrorCode> = {
  BAD_REQUEST: 'ERR_BAD_REQUEST',
  INVALID_NAME: 'ERR_INVALID_NAME',
  UNAUTHORIZED: 'ERR_UNAUTHORIZED',
  NOT_FOUND: 'ERR_NOT_FOUND',
  UNKNOWN_NODE: 'ERR_UNKNOWN_NODE',
  METHOD_NOT_ALLOWED: 'ERR_METHOD_NOT_ALLOWED',
  TOO_LARGE: 'ERR_TOO_LARGE',
  CONFLICT: 'ERR_CONFLICT',
  CHECKSUM_MISMATCH: 'ERR_CHECKSUM_MISMATCH',
  TOO_MANY_UPLOADS: 'ERR_TOO_MANY_UPLOADS',
  RANGE_NOT_SATISFIABLE: 'ERR_RANGE',
  INTERNAL: 'ERR_SERVER',
  UNAVAILABLE: 'ERR_UNAVAILABLE',
  TIMEOUT: 'ERR_TIMEOUT',
  INSUFFICIENT_STORAGE: 'ERR_INSUFFICIENT_STORAGE',
};

/**
 * Codes used when an answer carries no code of its own: a HEAD answer, or a proxy's page (hence
 * 403, which no node sends).
 */
const codeByStatus: Record<number, DfsClientErrorCode> = {
  400: 'ERR_BAD_REQUEST',
  401: 'ERR_UNAUTHORIZED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  409: 'ERR_CONFLICT',
  413: 'ERR_TOO_LARGE',
  422: 'ERR_CHECKSUM_MISMATCH',
  429: 'ERR_TOO_MANY_UPLOADS',
  416: 'ERR_RANGE',
  503: 'ERR_UNAVAILABLE',
  504: 'ERR_TIMEOUT',
  507: 'ERR_INSUFFICIENT_STORAGE',
};

/** `code` is one of `DfsClientErrorCode`, or a server code in `ERR_` form the client does not know. */
export class DfsClientError extends CodedError<DfsClientErrorCode | (string & {})> {
  override readonly name = 'DfsClientError';
  /** HTTP status when a server answered. */
  readonly status: number | undefined;
  /** The server's own error code, verbatim (e.g. `NOT_FOUND`). */
  readonly serverCode: string | undefined;
  /** Base URL of the node that answered (or, for ERR_UNREACHABLE, the nodes that were tried). */
  readonly node: string | undefined;
  readonly nodesTried: readonly string[];

  constructor(
    code: DfsClientErrorCode | (string & {}),
    message: string,
    options: {
      status?: number;
      serverCode?: string;
      node?: string;
      nodesTried?: readonly string[];
      cause?: unknown;
    } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.serverCode = options.serverCode;
    this.node = options.node;
    this.nodesTried = options.nodesTried ?? (options.node === undefined ? [] : [options.node]);
  }
}

export function isDfsClientError(error: unknown, code?: string): error is DfsClientError {
  return error instanceof DfsClientError && (code === undefined || error.code === code);
}

/** Server codes outside the contract that mean the same as one of ours under an older name. */
const aliases: Record<string, DfsClientErrorCode> = {
  ERR_NO_SPACE: 'ERR_INSUFFICIENT_STORAGE',
};

/**
 * `NOT_FOUND` → `ERR_NOT_FOUND`: the API's codes map through one table, an already prefixed code is
 * kept, and known synonyms are unified.
 */
export function normalizeServerCode(serverCode: string): string {
  const upper = serverCode
    .trim()
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_');
  const bare = upper.startsWith('ERR_') ? upper.slice('ERR_'.length) : upper;
  if (isApiErrorCode(bare)) return fromApi[bare];
  const prefixed = `ERR_${bare}`;
  return aliases[prefixed] ?? prefixed;
}

export function codeForStatus(status: number): DfsClientErrorCode {
  return codeByStatus[status] ?? (status >= 500 ? 'ERR_SERVER' : 'ERR_BAD_REQUEST');
}

/**
 * Builds the error for a non-2xx answer from the body text (the API's JSON error shape, or anything
 * else a proxy may have put there).
 */
export function errorFromResponse(status: number, bodyText: string, node: string): DfsClientError {
  let serverCode: string | undefined;
  let serverMessage: string | undefined;
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (isRecord(parsed) && isRecord(parsed.error)) {
      if (typeof parsed.error.code === 'string' && parsed.error.code !== '') {
        serverCode = parsed.error.code;
      }
      if (typeof parsed.error.message === 'string') serverMessage = parsed.error.message;
    }
  } catch {
    // Not JSON: a proxy or a crashed handler. The status alone decides the code.
  }
  const code = serverCode === undefined ? codeForStatus(status) : normalizeServerCode(serverCode);
  const detail = serverMessage ?? (bodyText.trim().slice(0, 200) || `HTTP ${status}`);
  return new DfsClientError(code, detail, { status, node, ...(serverCode ? { serverCode } : {}) });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

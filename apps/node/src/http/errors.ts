/**
 * From the node's error codes to the API's. Codes come from the node (NodeError), the replication
 * engine and store (same ERR_… names by agreement), and the OS (ENOSPC); each maps to one code of
 * the API, whose status comes from the contract's table (`API_ERRORS` in @dfs/api). The body is
 * always `{"error":{"code":"NOT_FOUND","message":"…"}}`; unknown errors become a 500 whose message
 * hides internals (the log has the detail).
 */
import type { ServerResponse } from 'node:http';
import {
  API_ERROR_CODES,
  HEADERS,
  JSON_CONTENT_TYPE,
  statusOf,
  type ApiErrorCode,
  type ErrorBody,
} from '@dfs/api';
import { errorCode } from '../errors.js';

export interface ApiErrorAnswer {
  status: number;
  /** The code clients see (no ERR_ prefix). */
  code: ApiErrorCode;
}

const API_CODES: Record<string, ApiErrorCode> = {
  ERR_BAD_REQUEST: 'BAD_REQUEST',
  ERR_INVALID_NAME: 'INVALID_NAME',
  ERR_UNAUTHORIZED: 'UNAUTHORIZED',
  ERR_NOT_FOUND: 'NOT_FOUND',
  ERR_UNKNOWN_NODE: 'UNKNOWN_NODE',
  // Placement's code (@dfs/replication) for a member id it does not know.
  ERR_NOT_MEMBER: 'UNKNOWN_NODE',
  ERR_METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  ERR_TOO_LARGE: 'TOO_LARGE',
  ERR_CONFLICT: 'CONFLICT',
  ERR_CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
  ERR_TOO_MANY_UPLOADS: 'TOO_MANY_UPLOADS',
  ERR_RANGE: 'RANGE_NOT_SATISFIABLE',
  ERR_UNAVAILABLE: 'UNAVAILABLE',
  ERR_CLOSED: 'UNAVAILABLE',
  ERR_STORE_CLOSED: 'UNAVAILABLE',
  ERR_ABORTED: 'UNAVAILABLE',
  // A copy failed verification and no healthy copy was reachable: the file exists, but not now.
  ERR_INTEGRITY: 'UNAVAILABLE',
  ERR_CORRUPT: 'UNAVAILABLE',
  ERR_TIMEOUT: 'TIMEOUT',
  ERR_NO_SPACE: 'INSUFFICIENT_STORAGE',
  ENOSPC: 'INSUFFICIENT_STORAGE',
  EDQUOT: 'INSUFFICIENT_STORAGE',
};

/** One answer per API code, its status from the contract (publicMessage compares by identity). */
const ANSWERS = Object.fromEntries(
  API_ERROR_CODES.map((code) => [code, { status: statusOf(code), code }]),
) as Record<ApiErrorCode, ApiErrorAnswer>;

const INTERNAL = ANSWERS.INTERNAL;

export function answerFor(error: unknown): ApiErrorAnswer {
  const code = errorCode(error);
  const apiCode =
    code !== undefined && Object.hasOwn(API_CODES, code) ? API_CODES[code] : undefined;
  return apiCode === undefined ? INTERNAL : ANSWERS[apiCode];
}

/** The message a client may see: ours verbatim, internals hidden behind a generic sentence. */
export function publicMessage(error: unknown, answer: ApiErrorAnswer): string {
  if (answer === INTERNAL) return 'internal error; see the node log';
  if (answer.status === 507) return 'the node is out of disk space';
  return error instanceof Error ? error.message : String(error);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: ApiErrorCode,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees a truncated transfer.
    res.destroy();
    return;
  }
  const error: ErrorBody = { error: { code, message } };
  const body = JSON.stringify(error);
  res.writeHead(status, {
    ...headers,
    [HEADERS.contentType]: JSON_CONTENT_TYPE,
    [HEADERS.contentLength]: Buffer.byteLength(body),
  });
  res.end(body);
}

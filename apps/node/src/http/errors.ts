/**
 * The one table from error codes to HTTP answers. Codes come from the node (NodeError), the
 * replication engine and store (same ERR_… names by agreement), and the OS (ENOSPC). The body is
 * always `{"error":{"code":"NOT_FOUND","message":"…"}}`; unknown errors become a 500 whose message
 * hides internals (the log has the detail).
 */
import type { ServerResponse } from 'node:http';
import { errorCode } from '../errors.js';

export interface ApiErrorAnswer {
  status: number;
  /** The code clients see (no ERR_ prefix). */
  code: string;
}

const ANSWERS: Record<string, ApiErrorAnswer> = {
  ERR_BAD_REQUEST: { status: 400, code: 'BAD_REQUEST' },
  ERR_INVALID_NAME: { status: 400, code: 'INVALID_NAME' },
  ERR_UNAUTHORIZED: { status: 401, code: 'UNAUTHORIZED' },
  ERR_NOT_FOUND: { status: 404, code: 'NOT_FOUND' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, code: 'METHOD_NOT_ALLOWED' },
  ERR_TOO_LARGE: { status: 413, code: 'TOO_LARGE' },
  ERR_RANGE: { status: 416, code: 'RANGE_NOT_SATISFIABLE' },
  ERR_UNAVAILABLE: { status: 503, code: 'UNAVAILABLE' },
  ERR_CLOSED: { status: 503, code: 'UNAVAILABLE' },
  ERR_STORE_CLOSED: { status: 503, code: 'UNAVAILABLE' },
  ERR_ABORTED: { status: 503, code: 'UNAVAILABLE' },
  // A copy failed verification and no healthy copy was reachable: the file exists, but not now.
  ERR_INTEGRITY: { status: 503, code: 'UNAVAILABLE' },
  ERR_CORRUPT: { status: 503, code: 'UNAVAILABLE' },
  ERR_TIMEOUT: { status: 504, code: 'TIMEOUT' },
  ERR_NO_SPACE: { status: 507, code: 'INSUFFICIENT_STORAGE' },
  ENOSPC: { status: 507, code: 'INSUFFICIENT_STORAGE' },
  EDQUOT: { status: 507, code: 'INSUFFICIENT_STORAGE' },
};

const INTERNAL: ApiErrorAnswer = { status: 500, code: 'INTERNAL' };

export function answerFor(error: unknown): ApiErrorAnswer {
  const code = errorCode(error);
  return (code !== undefined ? ANSWERS[code] : undefined) ?? INTERNAL;
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
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees a truncated transfer.
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

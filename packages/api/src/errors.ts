/**
 * The API's error codes and the HTTP status each one answers with: the one table both sides read.
 * A failed call answers `{"error":{"code":"NOT_FOUND","message":"…"}}`; the code is stable and meant
 * for programs, the message is for people and may change.
 */
export const API_ERRORS = {
  /** A malformed request: a bad query parameter, a body cut short by the client. */
  BAD_REQUEST: { status: 400 },
  /** The name breaks the name rules, or is not valid percent-encoded UTF-8. */
  INVALID_NAME: { status: 400 },
  /** `--api-token` is set and the request lacks `Authorization: Bearer <token>` or has a wrong one. */
  UNAUTHORIZED: { status: 401 },
  /** No live node holds the file (or a tombstone says it was deleted), or no such endpoint. */
  NOT_FOUND: { status: 404 },
  /** `POST /v1/nodes/<id>/drain` or `…/remove`: no member with that id is known to the node. */
  UNKNOWN_NODE: { status: 404 },
  /** The endpoint exists but not with this method; the `Allow` header lists the methods. */
  METHOD_NOT_ALLOWED: { status: 405 },
  /** An upload session's chunk does not start at its offset, or another chunk is being written to it. */
  CONFLICT: { status: 409 },
  /** The body exceeds the node's `--max-file-size`, or an upload session's declared size. */
  TOO_LARGE: { status: 413 },
  /** The `Range` header is malformed, asks for several ranges, or lies outside the file. */
  RANGE_NOT_SATISFIABLE: { status: 416 },
  /** Completing an upload session: its bytes do not have the sha256 declared when it was created. */
  CHECKSUM_MISMATCH: { status: 422 },
  /** The node holds as many upload sessions (or session bytes) as it allows; complete or abort one. */
  TOO_MANY_UPLOADS: { status: 429 },
  /** A bug or an unexpected failure; the node's log has the detail. */
  INTERNAL: { status: 500 },
  /** The node is starting or stopping, or no healthy copy of the file is reachable now. */
  UNAVAILABLE: { status: 503 },
  /** `PUT ?w=N`: fewer than N targets held the file in time (the write stands); or no holder of a read answered in time. */
  TIMEOUT: { status: 504 },
  /** The node's disk is full. */
  INSUFFICIENT_STORAGE: { status: 507 },
} as const satisfies Record<string, { status: number }>;

export type ApiErrorCode = keyof typeof API_ERRORS;

/** Every error code, in the table's order. */
export const API_ERROR_CODES = Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]];

/** The HTTP status a code answers with. */
export function statusOf(code: ApiErrorCode): number {
  return API_ERRORS[code].status;
}

export function isApiErrorCode(value: unknown): value is ApiErrorCode {
  return typeof value === 'string' && Object.hasOwn(API_ERRORS, value);
}

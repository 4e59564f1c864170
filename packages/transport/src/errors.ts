/**
 * Errors carry a stable `code` so callers branch on codes, never on message text. Errors thrown by a
 * remote request handler cross the wire with their code and arrive as a `TransportError` with the
 * same code and `remote: true`.
 */
import { CodedError, type CodedErrorOptions } from '@dfs/base';

export type TransportErrorCode =
  | 'ERR_TIMEOUT'
  | 'ERR_ABORTED'
  | 'ERR_UNREACHABLE'
  | 'ERR_CONNECTION_CLOSED'
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_MALFORMED_FRAME'
  | 'ERR_HANDSHAKE'
  | 'ERR_AUTH'
  | 'ERR_PROTOCOL_VERSION'
  | 'ERR_CLUSTER_MISMATCH'
  | 'ERR_NO_HANDLER'
  | 'ERR_TOO_MANY_CONNECTIONS'
  | 'ERR_TRANSPORT_CLOSED'
  | 'ERR_REMOTE'
  | 'ERR_STREAM_RESET'
  | 'ERR_HANDSHAKE_TIMEOUT'
  | 'ERR_TLS'
  | 'ERR_TOO_MANY_STREAMS'
  | 'ERR_TOO_MANY_REQUESTS'
  | 'ERR_SLOW_PEER'
  /** A frame after the handshake failed authentication (docs/protocol.md §2.1). */
  | 'ERR_FRAME_AUTH'
  /** Too many connections in their handshake, in all or from one address: the oldest was dropped. */
  | 'ERR_TOO_MANY_HANDSHAKES'
  /** A stream made no progress for `streamIdleTimeoutMs` and was reset on both sides. */
  | 'ERR_STREAM_IDLE';

/** `code` is stable; for remote errors it is the code the remote handler threw (any string). */
export class TransportError extends CodedError<string> {
  override readonly name = 'TransportError';
  /** True when the error was thrown by the remote peer's handler and carried back. */
  readonly remote: boolean;

  constructor(
    code: TransportErrorCode | string,
    message: string,
    options?: CodedErrorOptions & { remote?: boolean },
  ) {
    super(code, message, options);
    this.remote = options?.remote ?? false;
  }
}

export function isTransportError(error: unknown, code?: string): error is TransportError {
  return error instanceof TransportError && (code === undefined || error.code === code);
}

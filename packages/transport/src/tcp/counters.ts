/** Counters a transport keeps for metrics; `stats()` returns a copy. */
export interface TransportCounters {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Refused or dropped connections by reason code (ERR_AUTH, ERR_FRAME_TOO_LARGE, …). */
  rejects: Record<string, number>;
  /** Streams reset because nothing moved on them for `streamIdleTimeoutMs`. */
  idleStreamResets: number;
}

export interface TransportStats extends TransportCounters {
  /** Authenticated connections open now. */
  openConnections: number;
  /** Connections still in their handshake. */
  handshaking: number;
}

export function newCounters(): TransportCounters {
  return { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, rejects: {}, idleStreamResets: 0 };
}

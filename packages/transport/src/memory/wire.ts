import type { Clock } from '../clock.js';

/** What happened to a transmission, decided synchronously at send time. */
export type TransmitOutcome = 'scheduled' | 'unreachable' | 'dropped';

/**
 * The part of a `MemoryNetwork` that its transports and streams use: moving bytes between
 * addresses on the network's clock. `MemoryNetwork` implements it; transports and streams depend
 * on this interface only, so the network can create transports without the files importing each
 * other in a circle. `Endpoint` is whatever sits at an address (a `MemoryTransport`).
 */
export interface MemoryWire<Endpoint> {
  readonly clock: Clock;
  /** See `MemoryNetworkOptions.shareValues`. */
  readonly shareValues: boolean;
  /** See `MemoryNetworkOptions.measureBytes`. */
  readonly measureBytes: boolean;
  /** Runs `run` after `delayMs` on the network's delivery queue. */
  after(delayMs: number, run: () => void): void;
  /** One-way latency from `from` to `to` (no jitter, no bandwidth). */
  latency(from: string, to: string): number;
  /**
   * Sends `size` bytes from `from` to `to` and runs `deliver` at arrival. `reliable` traffic
   * (stream frames) is never lost to `lossRate`; unreliable traffic may be.
   */
  transmit(
    from: string,
    to: string,
    size: number,
    reliable: boolean,
    deliver: (target: Endpoint) => void,
  ): TransmitOutcome;
  /** Called by a transport's close(): its address becomes free and unreachable. */
  detach(endpoint: Endpoint): void;
}

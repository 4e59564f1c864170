import type { Transport } from '../../src/index.js';

/**
 * What the compliance suite needs from an implementation: listening transports, a way to make time
 * pass (virtual or real), and an address nobody listens on.
 */
export interface ComplianceHarness {
  /** A new transport, already listening. */
  create(id: string): Promise<Transport>;
  /** Awaits `promise`, making time pass as the implementation needs (e.g. advancing a virtual clock). */
  drive<T>(promise: Promise<T>): Promise<T>;
  /** Waits until `condition()` holds, failing after a bounded amount of (virtual or real) time. */
  until(condition: () => boolean): Promise<void>;
  /** Lets a bounded stretch of time pass, to show that something does NOT happen. */
  idle(): Promise<void>;
  /** An address where nothing accepts connections. */
  deadAddress(): Promise<string>;
  /** Closes everything created. */
  cleanup(): Promise<void>;
}

export type HarnessFactory = () => Promise<ComplianceHarness>;

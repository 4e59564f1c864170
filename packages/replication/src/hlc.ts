/**
 * A hybrid logical clock (Kulkarni et al.): a timestamp is (wall ms, counter). It tracks physical
 * time when clocks behave, yet never goes backwards — not when the wall clock steps back, not when a
 * peer's clock runs ahead (we adopt its wall time and count on), not across restarts (the caller
 * restores the persisted high-water mark with `restore`).
 *
 * A peer can only pull the clock ahead by a bounded amount: `observe` refuses a remote timestamp
 * `maxSkewMs` or more ahead of the local wall clock (a peer announcing the year 2126, or the
 * largest encodable version, would otherwise pin every later version and tombstone expiry there).
 * The clock never wraps: at the largest encodable timestamp `now()` throws `ClockExhaustedError`
 * rather than issue a version it (or a restart) already issued.
 *
 * A *version* is a timestamp plus the issuing node's id, totally ordered by (wall, counter, node id).
 * It is encoded as a fixed-width hex prefix followed by the node id, so plain string comparison
 * (`<`, never `localeCompare`) is exactly the version order. That lets the index, the wire and the
 * HTTP layer treat versions as opaque strings.
 */
import type { Clock } from '@dfs/transport';
import { ReplicationError } from './errors.js';

export interface HlcTimestamp {
  /** Milliseconds since the Unix epoch (the physical part). */
  readonly wall: number;
  /** Logical counter that orders events sharing a wall time. */
  readonly counter: number;
}

/** 12 hex digits hold wall times until the year 10889. */
const WALL_DIGITS = 12;
/** 8 hex digits: 4 billion events within one millisecond of a pinned wall time. */
const COUNTER_DIGITS = 8;
const MAX_WALL = 16 ** WALL_DIGITS - 1;
const MAX_COUNTER = 16 ** COUNTER_DIGITS - 1;
const PREFIX_LENGTH = WALL_DIGITS + 1 + COUNTER_DIGITS + 1;
const VERSION_PATTERN = /^([0-9a-f]{12})\.([0-9a-f]{8})\.(.+)$/s;

export function compareTimestamps(a: HlcTimestamp, b: HlcTimestamp): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return 0;
}

/** `<wall hex 12>.<counter hex 8>.<node id>`; sorts as (wall, counter, node id). */
export function encodeVersion(timestamp: HlcTimestamp, nodeId: string): string {
  if (nodeId.length === 0) throw new RangeError('node id must not be empty');
  return (
    timestamp.wall.toString(16).padStart(WALL_DIGITS, '0') +
    '.' +
    timestamp.counter.toString(16).padStart(COUNTER_DIGITS, '0') +
    '.' +
    nodeId
  );
}

export interface DecodedVersion extends HlcTimestamp {
  readonly nodeId: string;
}

/** Parses a version string; undefined when it is not one (e.g. from a hostile peer). */
export function decodeVersion(version: string): DecodedVersion | undefined {
  const match = VERSION_PATTERN.exec(version);
  if (match === null) return undefined;
  return {
    wall: Number.parseInt(match[1] as string, 16),
    counter: Number.parseInt(match[2] as string, 16),
    nodeId: match[3] as string,
  };
}

export function isVersion(value: string): boolean {
  return VERSION_PATTERN.test(value);
}

/** Version order: negative when `a` is older than `b`. */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The wall-clock part of a version (ms), for `modified` and tombstone expiry. */
export function versionWallTime(version: string): number {
  return Number.parseInt(version.slice(0, WALL_DIGITS), 16);
}

/** The node id part of a version. */
export function versionNodeId(version: string): string {
  return version.slice(PREFIX_LENGTH);
}

/** The largest timestamp a version can encode; the clock refuses to issue past it. */
export const MAX_TIMESTAMP: HlcTimestamp = { wall: MAX_WALL, counter: MAX_COUNTER };

/**
 * The clock reached the largest encodable timestamp (only a poisoned high-water mark gets there):
 * issuing anything would repeat or undercut a version already issued. Code ERR_UNAVAILABLE (503).
 */
export class ClockExhaustedError extends ReplicationError {
  constructor() {
    super(
      'ERR_UNAVAILABLE',
      'the version clock is at its largest encodable timestamp and cannot issue a newer version',
    );
  }
}

export interface HybridLogicalClockOptions {
  clock: Clock;
  nodeId: string;
  /** The persisted high-water mark (restored without a bound: it is this node's own history). */
  highWater?: HlcTimestamp;
  /** `observe` refuses remote timestamps whose wall time is this far or further ahead of the clock. */
  maxSkewMs: number;
}

export class HybridLogicalClock {
  readonly #clock: Clock;
  readonly #nodeId: string;
  readonly #maxSkewMs: number;
  #last: HlcTimestamp = { wall: 0, counter: 0 };

  constructor(options: HybridLogicalClockOptions) {
    this.#clock = options.clock;
    this.#nodeId = options.nodeId;
    this.#maxSkewMs = options.maxSkewMs;
    if (options.highWater !== undefined) this.restore(options.highWater);
  }

  /** The highest timestamp issued or observed; persist it so a restart never goes backwards. */
  get last(): HlcTimestamp {
    return this.#last;
  }

  /** Raise the clock to at least `highWater` (a persisted mark or any observed timestamp). */
  restore(highWater: HlcTimestamp): void {
    if (compareTimestamps(highWater, this.#last) > 0) this.#last = clampTimestamp(highWater);
  }

  /**
   * A fresh timestamp, strictly greater than every timestamp issued or observed before. Throws
   * `ClockExhaustedError` (and changes nothing) at the largest encodable timestamp.
   */
  now(): HlcTimestamp {
    const physical = this.#physical();
    if (physical > this.#last.wall) {
      this.#last = { wall: physical, counter: 0 };
    } else if (this.#last.counter < MAX_COUNTER) {
      this.#last = { wall: this.#last.wall, counter: this.#last.counter + 1 };
    } else if (this.#last.wall < MAX_WALL) {
      // Counter exhausted within one wall tick: borrow the next millisecond rather than wrap.
      this.#last = { wall: this.#last.wall + 1, counter: 0 };
    } else {
      throw new ClockExhaustedError();
    }
    return this.#last;
  }

  /** A fresh version string for this node. */
  nextVersion(): string {
    return encodeVersion(this.now(), this.#nodeId);
  }

  /**
   * Merge a timestamp seen on the wire so later local events order after it. Does not issue a
   * timestamp; the next `now()` will be greater than `remote`. Returns false, changing nothing, when
   * `remote` is too far ahead (`isTooFarAhead`): the caller must then not apply what carried it.
   */
  observe(remote: HlcTimestamp): boolean {
    if (this.isTooFarAhead(remote)) return false;
    this.restore(remote);
    return true;
  }

  /** `observe` for a version string; false for strings that are not versions. */
  observeVersion(version: string): boolean {
    const decoded = decodeVersion(version);
    return decoded !== undefined && this.observe(decoded);
  }

  /**
   * True when `remote`'s wall time is `maxSkewMs` or more ahead of the local wall clock. The bound
   * is exclusive so that even an accepted timestamp with an exhausted counter leaves room for the
   * borrowed millisecond: what the clock issues stays within `now + maxSkewMs`.
   */
  isTooFarAhead(remote: HlcTimestamp): boolean {
    return remote.wall >= this.#physical() + this.#maxSkewMs;
  }

  #physical(): number {
    return Math.min(Math.max(0, Math.floor(this.#clock.now())), MAX_WALL);
  }
}

function clampTimestamp(t: HlcTimestamp): HlcTimestamp {
  return {
    wall: Math.min(Math.max(0, Math.floor(t.wall)), MAX_WALL),
    counter: Math.min(Math.max(0, Math.floor(t.counter)), MAX_COUNTER),
  };
}

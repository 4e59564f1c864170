/**
 * How the dashboard writes quantities: byte sizes in binary units, ages and durations in the
 * largest unit that keeps them short, rates per second. Pure, so they are unit-tested.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `1536` → `1.5 KiB`; whole bytes below 1 KiB; three significant digits above. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** Bytes per second, as `1.5 MiB/s`. */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.max(0, Math.round(bytesPerSecond)))}/s`;
}

/** A duration in ms as `45 s`, `3 min`, `2 h`, `4 d` (whole units, rounded down). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}

/** How long ago `then` was, seen at `now` (both epoch ms): `just now`, `12 s ago`, … */
export function formatAge(then: number, now: number): string {
  if (then <= 0) return 'never';
  const ms = now - then;
  if (ms < 1000) return 'just now';
  return `${formatDuration(ms)} ago`;
}

/** A whole count with thousands separators: `100000` → `100,000`. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** A node id shortened for a table cell (ids are long hex strings); the full id goes in a title. */
export function shortId(id: string, length = 10): string {
  return id.length > length ? `${id.slice(0, length)}…` : id;
}

/** The rate of a counter between two samples, in units per second; 0 when it went backwards (restart). */
export function rateBetween(
  earlier: { at: number; value: number },
  later: { at: number; value: number },
): number {
  const seconds = (later.at - earlier.at) / 1000;
  if (seconds <= 0 || later.value < earlier.value) return 0;
  return (later.value - earlier.value) / seconds;
}

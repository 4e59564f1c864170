/**
 * Human-friendly quantities: durations like `500ms`, `5s`, `2m`, `7d` and sizes like `4096`,
 * `64KiB`, `10GiB`, `1GB`, read from the command line and from HTTP query parameters, and written
 * back the same way (defaults in `--help` and in the docs' tunables table). Parsing rejects anything
 * it does not fully understand, so a typo becomes a usage error instead of a surprising default.
 */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

const QUANTITY = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * Milliseconds in a duration such as `500ms`, `1.5s` or `7d`. A bare number is milliseconds.
 * Returns undefined for anything else (negative, empty, unknown unit, not finite).
 */
export function parseDuration(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : DURATION_UNITS[unit];
  if (factor === undefined) return undefined;
  const ms = Math.round(Number(match[1]) * factor);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Bytes in a size such as `4096`, `64KiB`, `10GiB` or `1GB` (k/m/g/t alone mean binary units). */
export function parseSize(text: string): number | undefined {
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const factor = SIZE_UNITS[(match[2] ?? '').toLowerCase()];
  if (factor === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * factor);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Units a duration is written in, largest first; weeks are left out so 7 days reads `7d`. */
const DURATION_FORMAT: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** A duration in the largest unit that divides it exactly: 200 → `200ms`, 600000 → `10m`. */
export function formatDuration(ms: number): string {
  for (const [unit, factor] of DURATION_FORMAT) {
    if (ms > 0 && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}

const SIZE_FORMAT: readonly [string, number][] = [
  ['TiB', 1024 ** 4],
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/** A size in the largest binary unit that divides it exactly: 65536 → `64KiB`, 1000 → `1000`. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of SIZE_FORMAT) {
    if (bytes > 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}

/** `host:port` split into parts; undefined when malformed (port must be 0–65535). */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  // [v6]:port or host:port; the host may not contain whitespace.
  const match = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/i.exec(text);
  if (!match) return undefined;
  const host = match[1] ?? match[2];
  const port = Number(match[3]);
  if (host === undefined || port > 65535) return undefined;
  return { host, port };
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Human output: sizes, ages and aligned tables. Pure functions, so every format is unit-tested.
 * Table columns are measured in terminal cells (string-width), so CJK names and emoji align.
 */
import stringWidth from 'string-width';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 0 → `0 B`, 1536 → `1.5 KiB`, 10 MiB → `10 MiB` (one decimal below 10, none above). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return `${bytes} B`;
  const text = value < 10 ? value.toFixed(1) : Math.round(value).toString();
  return `${text.replace(/\.0$/, '')} ${UNITS[unit]}`;
}

/** How long ago `then` was, compactly: `just now`, `45s ago`, `3m ago`, `2h ago`, `5d ago`. */
export function formatAge(then: number | undefined, now: number): string {
  if (then === undefined || !Number.isFinite(then) || then <= 0) return '-';
  const seconds = Math.floor((now - then) / 1000);
  if (seconds < 0) return 'in the future';
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ago`;
  const days = Math.floor(hours / 24);
  if (days < 365) return `${days}d ago`;
  return new Date(then).toISOString().slice(0, 10);
}

export type Align = 'left' | 'right';

/**
 * Columns padded to the widest cell; the last column is never padded (no trailing spaces).
 * `align` per column, default left.
 */
export function renderTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly Align[] = [],
): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.max(...all.map((row) => stringWidth(row[column] ?? ''))),
  );
  const lines = all.map((row) =>
    row
      .map((cell, column) => {
        const isLast = column === row.length - 1;
        const pad = (widths[column] ?? 0) - stringWidth(cell);
        if (align[column] === 'right') return ' '.repeat(pad) + cell;
        return isLast ? cell : cell + ' '.repeat(pad);
      })
      .join('  '),
  );
  return `${lines.join('\n')}\n`;
}

/** `key   value` lines with aligned values. */
export function renderFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([key]) => stringWidth(key)));
  return (
    fields
      .map(([key, value]) => `${key}${' '.repeat(width - stringWidth(key))}  ${value}`)
      .join('\n') + '\n'
  );
}

/** Bytes per second as `12 MiB/s`. */
export function formatRate(bytes: number, ms: number): string {
  if (ms <= 0) return '-';
  return `${formatBytes(Math.round((bytes * 1000) / ms))}/s`;
}

/** Abbreviates a long id or hash for tables: first 12 characters. */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

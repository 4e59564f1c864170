import { mkdirSync, writeFileSync } from 'node:fs';

/** One measured figure and the raw baseline it is compared against, both taken in the same run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** 'higher' when bigger values are better (throughput), 'lower' for times and memory. */
  better: 'higher' | 'lower';
  /**
   * How the ratio is formed. 'speedup' (the default): oriented so that > 1 means better than the
   * baseline. 'times-baseline': value ÷ baseline as is, for a cost set against its floor (1.3 means
   * 30% above the floor, whichever way is better).
   */
  ratioKind?: 'speedup' | 'times-baseline';
  /** Free text, printed as is. */
  target?: string;
  /** The target as numbers, checked against the ratio (or the value when there is no baseline). */
  limit?: { max?: number; min?: number };
  /** What else the run saw for this row (per-node figures, sizes), printed after the target. */
  note?: string;
}

/** The row's ratio to its baseline (see `ratioKind`); undefined without a baseline. */
export function ratio(row: BenchRow): number | undefined {
  if (!row.baseline || row.baseline.value === 0) return undefined;
  if (row.ratioKind === 'times-baseline') return row.value / row.baseline.value;
  return row.better === 'higher' ? row.value / row.baseline.value : row.baseline.value / row.value;
}

/** Whether the row meets its `limit`; undefined when it has none. */
export function met(row: BenchRow): boolean | undefined {
  if (!row.limit) return undefined;
  const checked = row.baseline ? ratio(row) : row.value;
  if (checked === undefined || Number.isNaN(checked)) return false;
  const { max, min } = row.limit;
  return (max === undefined || checked <= max) && (min === undefined || checked >= min);
}

export function printTable(suite: string, rows: BenchRow[]): void {
  const lines = rows.map((row) => {
    const r = ratio(row);
    const ok = met(row);
    return [
      row.name,
      `${row.value.toFixed(2)} ${row.unit}`,
      row.baseline ? `${row.baseline.name}: ${row.baseline.value.toFixed(2)} ${row.unit}` : '',
      r === undefined ? '' : `${r.toFixed(2)}x`,
      row.target ?? '',
      ok === undefined ? '' : ok ? 'met' : 'MISSED',
      row.note ?? '',
    ];
  });
  const header = ['measure', 'value', 'baseline (same run)', 'ratio', 'target', 'met', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  process.stdout.write(
    `\n## ${suite}\n\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n`,
  );
  for (const l of lines) process.stdout.write(`${fmt(l)}\n`);
}

export function writeJson(
  suite: string,
  rows: BenchRow[],
  run: Record<string, unknown> = {},
): string {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${suite}.json`, dir);
  const withRatios = rows.map((row) => ({ ...row, ratio: ratio(row), met: met(row) }));
  writeFileSync(
    file,
    JSON.stringify({ suite, at: new Date().toISOString(), ...run, rows: withRatios }, null, 2),
  );
  return file.pathname;
}

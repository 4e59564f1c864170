import { mkdirSync, writeFileSync } from 'node:fs';

/** One measured figure and the raw baseline it is compared against, both taken in the same run. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** 'higher' when bigger values are better (throughput), 'lower' for times and memory. */
  better: 'higher' | 'lower';
  target?: string;
}

/** value/baseline, oriented so that > 1 means faster than the baseline for either direction. */
export function ratio(row: BenchRow): number | undefined {
  if (!row.baseline || row.baseline.value === 0) return undefined;
  return row.better === 'higher' ? row.value / row.baseline.value : row.baseline.value / row.value;
}

export function printTable(suite: string, rows: BenchRow[]): void {
  const lines = rows.map((row) => {
    const r = ratio(row);
    return [
      row.name,
      `${row.value.toFixed(2)} ${row.unit}`,
      row.baseline ? `${row.baseline.name}: ${row.baseline.value.toFixed(2)} ${row.unit}` : '',
      r === undefined ? '' : `${r.toFixed(2)}x`,
      row.target ?? '',
    ];
  });
  const header = ['measure', 'value', 'baseline (same run)', 'ratio', 'target'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ');
  process.stdout.write(
    `\n## ${suite}\n\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n`,
  );
  for (const l of lines) process.stdout.write(`${fmt(l)}\n`);
}

export function writeJson(suite: string, rows: BenchRow[]): string {
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${suite}.json`, dir);
  const withRatios = rows.map((row) => ({ ...row, ratio: ratio(row) }));
  writeFileSync(
    file,
    JSON.stringify({ suite, at: new Date().toISOString(), rows: withRatios }, null, 2),
  );
  return file.pathname;
}

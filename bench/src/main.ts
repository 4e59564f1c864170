/**
 * `pnpm bench [suite ...]`: runs each suite in bench/src/suites/<suite>.ts (all when none named),
 * prints a table of ratios against raw baselines measured in the same run, and writes
 * bench/results/<suite>.json, with the machine's load average before and after each suite. A
 * suite module exports `run(options): Promise<BenchRow[]>`.
 */
import { readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { printTable, writeJson, type BenchRow } from './report.js';

interface SuiteModule {
  run(options: { quick: boolean }): Promise<BenchRow[]>;
}

const args = process.argv.slice(2).filter((a) => a !== '--');
const quick = args.includes('--quick');
const suitesDir = new URL('./suites/', import.meta.url);
const available = readdirSync(suitesDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();
const wanted = args.filter((a) => !a.startsWith('--'));
for (const name of wanted) {
  if (!available.includes(name)) {
    process.stderr.write(`unknown suite "${name}"; available: ${available.join(', ')}\n`);
    process.exit(2);
  }
}
for (const name of wanted.length > 0 ? wanted : available) {
  const suite = (await import(new URL(`${name}.ts`, suitesDir).href)) as SuiteModule;
  const loadBefore = loadavg();
  const rows = await suite.run({ quick });
  const load = { before: loadBefore, after: loadavg() };
  printTable(name, rows);
  const shown = (l: number[]): string => l.map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(
    `\n(load average 1/5/15 min: ${shown(load.before)} before, ${shown(load.after)} after)\n`,
  );
  process.stdout.write(`(json: ${writeJson(name, rows, { quick, load })})\n`);
}

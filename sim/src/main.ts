/**
 * `pnpm sim [scenario ...] [--seed N] [--nodes N] [--full]`: runs named scenarios from
 * src/scenarios/ (all when none named) on MemoryTransport in virtual time, prints a table per
 * scenario and one JSON document with every result on the last line (for CI and dashboards).
 * `--full` runs the full-size variants that do not fit the default budget (placement: 1M files).
 */
import { readdirSync } from 'node:fs';
import type { Scenario, ScenarioResult } from './scenario.js';

const argv = process.argv.slice(2).filter((a) => a !== '--');
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isFinite(value)) {
    process.stderr.write(`--${name} needs a number\n`);
    process.exit(2);
  }
  argv.splice(i, 2);
  return value;
};
const seed = option('seed', 1);
const nodes = option('nodes', 1000);
const fullAt = argv.indexOf('--full');
const full = fullAt >= 0;
if (full) argv.splice(fullAt, 1);
const dir = new URL('./scenarios/', import.meta.url);
const scenarios = new Map<string, Scenario>();
for (const file of readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort()) {
  const mod = (await import(new URL(file, dir).href)) as { scenario: Scenario };
  scenarios.set(mod.scenario.name, mod.scenario);
}
const wanted = argv.length > 0 ? argv : [...scenarios.keys()];
const results: ScenarioResult[] = [];
for (const name of wanted) {
  const scenario = scenarios.get(name);
  if (!scenario) {
    process.stderr.write(
      `unknown scenario "${name}"; available: ${[...scenarios.keys()].join(', ')}\n`,
    );
    process.exit(2);
  }
  const started = performance.now();
  const result = await scenario.run({ seed, nodes, full });
  result.wallSeconds = (performance.now() - started) / 1000;
  results.push(result);
  process.stdout.write(`\n## ${name} (seed ${seed}, ${result.wallSeconds.toFixed(1)} s wall)\n`);
  for (const [key, value] of Object.entries(result.figures)) {
    process.stdout.write(`${key.padEnd(48)} ${String(value)}\n`);
  }
}
process.stdout.write(`${JSON.stringify({ seed, nodes, results })}\n`);

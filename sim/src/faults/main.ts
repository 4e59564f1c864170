/**
 * `pnpm sim:faults [--seeds N] [--from S] [--nodes N] [--ops N] [--faults SPEC] [--seed S --verbose]`
 *
 * Runs the fault simulation for many seeds (default 100 from seed 1, every fault class) and prints
 * each failing seed with its violations and the command that replays it, then a summary with seeds
 * per second. `--seed S` runs one seed; `--verbose` prints its whole trace. `--faults` takes `all`,
 * `ci`, `none` or a comma list of classes (`-class` removes one: `all,-crash`). Exit code 1 when any
 * seed failed.
 */
import { ALL_FAULT_CLASSES, FAULT_CLASSES, parseFaultClasses } from './fault-classes.js';
import { runFaultSim } from './runner.js';

const argv = process.argv.slice(2).filter((a) => a !== '--');
const flag = (name: string): boolean => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
};
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = argv[i + 1];
  argv.splice(i, 2);
  return value;
};
const number = (name: string, fallback: number): number => {
  const raw = option(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`--${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return value;
};

if (flag('help') || flag('list')) {
  process.stdout.write('fault classes (--faults a,b,c | all | ci | none | all,-x):\n');
  for (const c of ALL_FAULT_CLASSES)
    process.stdout.write(`  ${c.padEnd(16)} ${FAULT_CLASSES[c]}\n`);
  process.exit(0);
}
const verbose = flag('verbose');
const single = option('seed');
const nodes = number('nodes', 5);
const ops = number('ops', 60);
const faultSpec = option('faults') ?? 'all';
const seeds = number('seeds', single === undefined ? 100 : 1);
const from = single === undefined ? number('from', 1) : Number(single);
if (argv.length > 0) {
  process.stderr.write(`unknown arguments: ${argv.join(' ')} (try --help)\n`);
  process.exit(2);
}
let faults: Set<ReturnType<typeof parseFaultClasses> extends Set<infer T> ? T : never>;
try {
  faults = parseFaultClasses(faultSpec);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(2);
}

const replay = (seed: number): string =>
  `pnpm sim:faults --seed ${seed} --nodes ${nodes} --ops ${ops} --faults ${faultSpec} --verbose`;

process.stdout.write(
  `fault simulation: seeds ${from}..${from + seeds - 1}, ${nodes} nodes, ${ops} ops, faults ${[...faults].join(',') || 'none'}\n`,
);
const started = performance.now();
const byInvariant = new Map<string, number[]>();
const totals = new Map<string, number>();
let failed = 0;
for (let seed = from; seed < from + seeds; seed++) {
  const result = await runFaultSim({
    seed,
    nodes,
    ops,
    faults,
    ...(verbose ? { echo: (line: string) => process.stdout.write(`${line}\n`) } : {}),
  });
  for (const [key, value] of Object.entries(result.counts)) {
    totals.set(key, (totals.get(key) ?? 0) + value);
  }
  if (result.violations.length === 0) {
    if (single !== undefined)
      process.stdout.write(`seed ${seed}: ok (trace ${result.traceHash.slice(0, 12)})\n`);
    continue;
  }
  failed++;
  process.stdout.write(
    `\nseed ${seed}: ${result.violations.length} violation(s) (trace ${result.traceHash.slice(0, 12)})\n`,
  );
  for (const v of result.violations) {
    const list = byInvariant.get(v.invariant) ?? [];
    if (list.at(-1) !== seed) list.push(seed);
    byInvariant.set(v.invariant, list);
  }
  for (const v of result.violations.slice(0, 6)) {
    process.stdout.write(
      `  ${v.invariant}${v.name === undefined ? '' : ` [${v.name}]`}: ${v.detail}\n`,
    );
  }
  if (result.violations.length > 6)
    process.stdout.write(`  … ${result.violations.length - 6} more\n`);
  process.stdout.write(`  replay: ${replay(seed)}\n`);
}
const seconds = (performance.now() - started) / 1000;
process.stdout.write(
  `\n${seeds} seeds, ${failed} failed, ${seconds.toFixed(1)} s wall, ${(seeds / seconds).toFixed(2)} seeds/s\n`,
);
const shown = [...totals].filter(([, value]) => value > 0);
process.stdout.write(`totals: ${shown.map(([key, value]) => `${key} ${value}`).join(', ')}\n`);
for (const [invariant, list] of byInvariant) {
  process.stdout.write(
    `  ${invariant}: ${list.length} seed(s), e.g. ${list.slice(0, 5).join(', ')}\n`,
  );
}
process.exit(failed > 0 ? 1 : 0);

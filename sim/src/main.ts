/**
 * `pnpm sim [scenario ...] [--seed N] [--nodes N] [--full] [--jobs N]`: runs named scenarios from
 * src/scenarios/ (all when none named) on MemoryTransport in virtual time, prints a table per
 * scenario and one JSON document with every result on the last line (for CI and dashboards).
 * `--full` runs the full-size variants that do not fit the default budget (placement: 1M files,
 * partition: 1,000 nodes).
 *
 * Each scenario runs in its own process (this script with `--child`), `--jobs` of them at once
 * (default: 2, or 1 on a single core): a fresh heap per scenario, so its peak RSS is its own, and
 * two cores are used. Every scenario reports its wall time, CPU time (user + system, from
 * `process.cpuUsage`: less noisy than wall time on a shared machine) and peak RSS.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Scenario, ScenarioResult } from './scenario.js';

const CHILD_MARK = '@@sim-result ';

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
const flag = (name: string): boolean => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
};
const seed = option('seed', 1);
const nodes = option('nodes', 1000);
const jobs = Math.max(1, option('jobs', Math.min(2, availableParallelism())));
const full = flag('full');
const child = flag('child');
const dir = new URL('./scenarios/', import.meta.url);
const scenarioFiles = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .sort();

async function loadScenarios(): Promise<Map<string, Scenario>> {
  const scenarios = new Map<string, Scenario>();
  for (const file of scenarioFiles) {
    const mod = (await import(new URL(file, dir).href)) as { scenario: Scenario };
    scenarios.set(mod.scenario.name, mod.scenario);
  }
  return scenarios;
}

/** In a child: run one scenario, measure it, hand the result to the parent on stdout. */
async function runChild(name: string): Promise<void> {
  const scenario = (await loadScenarios()).get(name);
  if (scenario === undefined) throw new Error(`unknown scenario ${name}`);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await scenario.run({ seed, nodes, full });
  const used = process.cpuUsage(cpu);
  result.wallSeconds = (performance.now() - started) / 1000;
  result.cpuSeconds = (used.user + used.system) / 1e6;
  result.peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(`${CHILD_MARK}${JSON.stringify(result)}\n`);
}

function runInChild(name: string): Promise<ScenarioResult> {
  const script = fileURLToPath(import.meta.url);
  const args = [
    ...process.execArgv,
    script,
    name,
    '--child',
    '--seed',
    String(seed),
    '--nodes',
    String(nodes),
    ...(full ? ['--full'] : []),
  ];
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(CHILD_MARK));
      if (code !== 0 || line === undefined) {
        reject(new Error(`scenario ${name} exited with code ${code}\n${out}`));
        return;
      }
      resolve(JSON.parse(line.slice(CHILD_MARK.length)) as ScenarioResult);
    });
  });
}

function print(result: ScenarioResult): void {
  const wall = (result.wallSeconds ?? 0).toFixed(1);
  const cpu = (result.cpuSeconds ?? 0).toFixed(1);
  process.stdout.write(
    `\n## ${result.name} (seed ${seed}, ${wall} s wall, ${cpu} s CPU, peak RSS ${result.peakRssMiB} MiB)\n`,
  );
  for (const [key, value] of Object.entries(result.figures)) {
    process.stdout.write(`${key.padEnd(56)} ${String(value)}\n`);
  }
}

async function runAll(): Promise<void> {
  const names = [...(await loadScenarios()).keys()];
  const wanted = argv.length > 0 ? argv : names;
  for (const name of wanted) {
    if (!names.includes(name)) {
      process.stderr.write(`unknown scenario "${name}"; available: ${names.join(', ')}\n`);
      process.exit(2);
    }
  }
  const started = performance.now();
  // Longest first keeps both cores busy to the end; results print in the order asked for.
  const order = [...wanted].sort((a, b) => expectedCost(b) - expectedCost(a));
  const pending = new Map<string, Promise<ScenarioResult>>();
  const queue = [...order];
  const slots = Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      const run = runInChild(name);
      pending.set(name, run);
      await run.catch(() => undefined);
    }
  });
  const results: ScenarioResult[] = [];
  for (const name of wanted) {
    while (!pending.has(name)) await Promise.race([...pending.values(), ...slots]);
    const result = await (pending.get(name) as Promise<ScenarioResult>);
    print(result);
    results.push(result);
  }
  await Promise.all(slots);
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuSeconds = results.reduce((sum, r) => sum + (r.cpuSeconds ?? 0), 0);
  process.stdout.write(
    `\nall: ${wallSeconds.toFixed(1)} s wall with ${jobs} job(s), ${cpuSeconds.toFixed(1)} s CPU\n`,
  );
  process.stdout.write(`${JSON.stringify({ seed, nodes, wallSeconds, results })}\n`);
}

/** Rough CPU seconds at the default sizes, to start the longest scenarios first. */
function expectedCost(name: string): number {
  return { partial: 50, replication: 40, partition: 30, 'failure-detection': 15 }[name] ?? 5;
}

if (child) await runChild(argv[0] ?? '');
else await runAll();

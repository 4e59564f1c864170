/**
 * Runs a range of seeds with the CI fault classes and returns the failures, each with its replay
 * command. Two test files run half the range each, so vitest spreads them over both cores.
 */
import { CI_FAULT_CLASSES } from '../src/faults/fault-classes.js';
import { runFaultSim } from '../src/faults/runner.js';

/** Operations per seed in CI (the CLI's default is 60). */
export const CI_OPS = 30;

export async function failingSeeds(
  from: number,
  count: number,
): Promise<{ seed: number; violations: string[]; replay: string }[]> {
  const failures: { seed: number; violations: string[]; replay: string }[] = [];
  for (let seed = from; seed < from + count; seed++) {
    const result = await runFaultSim({ seed, ops: CI_OPS, faults: new Set(CI_FAULT_CLASSES) });
    if (result.violations.length > 0) {
      failures.push({
        seed,
        violations: result.violations
          .slice(0, 3)
          .map((v) => `${v.invariant} ${v.name ?? ''}: ${v.detail}`),
        replay: `pnpm sim:faults --seed ${seed} --ops ${CI_OPS} --faults ci --verbose`,
      });
    }
  }
  return failures;
}

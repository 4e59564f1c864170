import { describe, expect, it } from 'vitest';
import { ALL_FAULT_CLASSES } from '../src/faults/fault-classes.js';
import { runFaultSim } from '../src/faults/runner.js';
import { CI_OPS, failingSeeds } from './fault-seeds.js';

// Seeds 1–100 here, 101–200 in fault-sim-more-seeds.test.ts: ~20 s each on the 2-core dev machine
// (sim/README.md). Classes still off in CI, and why, are listed beside CI_FAULT_CLASSES.
const OPS = CI_OPS;

describe('fault simulation of whole nodes', () => {
  it('holds every invariant for seeds 1–100 with the CI fault classes', async () => {
    expect(await failingSeeds(1, 100)).toEqual([]);
  }, 180_000);

  it('replays a seed exactly: the same seed with every fault class gives the same trace', async () => {
    const faults = new Set(ALL_FAULT_CLASSES);
    const first = await runFaultSim({ seed: 11, ops: OPS, faults });
    const second = await runFaultSim({ seed: 11, ops: OPS, faults });
    expect(second.trace).toEqual(first.trace);
    expect(second.traceHash).toBe(first.traceHash);
    const other = await runFaultSim({ seed: 12, ops: OPS, faults });
    expect(other.traceHash).not.toBe(first.traceHash);
  }, 60_000);

  it('keeps the workload when a fault class is switched off (so a finding can be isolated)', async () => {
    const ops = (faults: Set<(typeof ALL_FAULT_CLASSES)[number]>): Promise<string[]> =>
      runFaultSim({ seed: 5, ops: OPS, faults }).then((r) =>
        r.trace
          .filter((l) => / op#\d+ (put|delete|read) /.test(l))
          .map((l) => l.replace(/^\s*\d+ /, '').replace(/ @node-\d+/, '')),
      );
    expect(await ops(new Set(['loss']))).toEqual(await ops(new Set()));
  }, 60_000);
});

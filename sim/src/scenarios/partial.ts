/**
 * Partial replication: 100 real replication engines (the node's code) with R = 3 on the in-memory
 * network in virtual time, each with its own placement (design/partial-replication.md §6 items
 * 5–13): settle to exactly R copies, kill one node, restart one within the grace period, kill R−1,
 * flapping, a 50/50 and a 90/10 partition, a join, a drain, kill R. Prints each case's measured
 * value beside its criterion, and the timers: the defaults (10 min grace and drop delay, 1 s probes)
 * scaled down so a run fits the `pnpm sim` budget. The run itself is src/partial/run.ts.
 * `--nodes` does not apply (100, the design's size).
 */
import type { Scenario, ScenarioOptions, ScenarioResult } from '../scenario.js';
import { runPartial, type PartialRunOptions } from '../partial/run.js';

/**
 * The scaled timers. The grace is 200 probe periods (600 by default) and 2 × the drop delay; the
 * oracle reports a change 5 probes later (the failure-detection scenario measures SWIM's time).
 * Links run at 1 MiB/s, bodies are 4–64 KiB: transfers take tens of ms, as MBs do on real links.
 * Every engine's resync scan ranks each of its files on every anti-entropy round — the run's main
 * cost at 100 nodes — so rounds are 2 s and 60 files are written first (about 140 by the end).
 */
export function partialOptions(seed: number, nodes: number): PartialRunOptions {
  return {
    seed,
    nodes,
    replicas: 3,
    files: 60,
    minBytes: 4096,
    maxBytes: 65536,
    bandwidthBytesPerSec: 1 << 20,
    timers: {
      outAfterMs: 10_000,
      dropDelayMs: 5_000,
      probeMs: 50,
      detectProbes: 5,
      antiEntropyIntervalMs: 2_000,
    },
    checkEveryMs: 500,
  };
}

export const scenario: Scenario = {
  name: 'partial',
  description:
    'partial replication (R = 3) with 100 real engines: settle, kill, restart, kill R−1, flapping, partitions, join, drain',
  async run({ seed }: ScenarioOptions): Promise<ScenarioResult> {
    const options = partialOptions(seed, 100);
    const rows = await runPartial(options);
    const { timers } = options;
    const figures: ScenarioResult['figures'] = {
      'nodes, R, files written first': `${options.nodes}, ${options.replicas}, ${options.files}`,
      'timers (ms): outAfter, dropDelay, probe × detect, AE': `${timers.outAfterMs}, ${timers.dropDelayMs}, ${timers.probeMs} × ${timers.detectProbes}, ${timers.antiEntropyIntervalMs}`,
      'link bandwidth (bytes/s), body sizes (bytes)': `${options.bandwidthBytesPerSec}, ${options.minBytes}–${options.maxBytes}`,
    };
    for (const row of rows) {
      figures[row.case] =
        `${row.pass ? 'PASS' : 'FAIL'}: ${row.measured} (criterion: ${row.criterion})`;
    }
    return { name: 'partial', figures, passed: rows.every((r) => r.pass) };
  },
};

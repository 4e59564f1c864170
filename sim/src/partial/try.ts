import { runPartial } from './run.js';
const t0 = performance.now();
const N = Number(process.argv[2] ?? 100);
const F = Number(process.argv[3] ?? 200);
const rows = await runPartial({ seed: 1, nodes: N, replicas: 3, files: F, minBytes: 4096, maxBytes: 65536, bandwidthBytesPerSec: 1 << 20,
  timers: { outAfterMs: 20_000, dropDelayMs: 5_000, probeMs: 50, detectProbes: 5, antiEntropyIntervalMs: 1_000 } });
for (const r of rows) console.log(r.pass ? 'PASS' : 'FAIL', r.case, '|', r.measured, '|', r.criterion);
console.log((performance.now() - t0) | 0, 'ms', process.cpuUsage());

/**
 * Child process for young-generation.test.ts: calls `pinYoungGeneration` when its first argument
 * is `pin`, then allocates the way a moving body does — a 64 KiB Buffer and some small objects per
 * chunk, a few dozen chunks in flight, yielding as I/O would — and prints the size of its young
 * generation (new space) before, and the largest it reached, in MiB. A process of its own, because V8 sizes worker
 * threads' young generations differently and the vitest process's has already grown.
 */
import v8 from 'node:v8';
import { pinYoungGeneration } from '../../src/young-generation.js';

const newSpaceBytes = (): number =>
  v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;

if (process.argv[2] === 'pin') pinYoungGeneration([], '');
// Loading this file through tsx has already grown it somewhat; what counts is growth from here.
const before = newSpaceBytes();
const inFlight: { data: Buffer; parts: { j: number }[] }[] = [];
let peak = 0;
for (let i = 0; i < 40_000; i++) {
  const chunk = { data: Buffer.allocUnsafe(65_536), parts: [] as { j: number }[] };
  for (let j = 0; j < 20; j++) chunk.parts.push({ j });
  inFlight.push(chunk);
  if (inFlight.length > 32) inFlight.shift();
  if (i % 16 === 0) await new Promise(setImmediate);
  if (i % 100 === 0) peak = Math.max(peak, newSpaceBytes());
}
process.stdout.write(`${before / (1024 * 1024)} ${peak / (1024 * 1024)}\n`);

import { describe, expect, it } from 'vitest';
import { runPartial } from '../src/partial/run.js';
import { partialOptions } from '../src/scenarios/partial.js';

describe('partial replication scenario (real engines, 24 nodes, R = 3)', () => {
  it('meets every criterion of design §6 items 5–13', async () => {
    const rows = await runPartial({ ...partialOptions(2, 24), files: 40 });
    const failed = rows.filter((r) => !r.pass);
    expect(failed).toEqual([]);
    const byCase = (prefix: string) => rows.find((r) => r.case.startsWith(prefix))!;
    // The rows carry their measurements (a table without them would pass vacuously).
    expect(rows).toHaveLength(18);
    expect(byCase('settle').measured).toMatch(/^40\/40 exact, 0 surplus/);
    expect(byCase('kill 1: files lost').measured).toBe('0');
    expect(byCase('restart within grace').measured).not.toMatch(/^0 KiB/);
    expect(byCase('kill R−1: GETs').measured).toBe('200/200');
    expect(byCase('50/50 after heal').measured).toMatch(/ 0 surplus, 0 lost/);
    expect(byCase('join: newcomer').measured).not.toMatch(/^0 KiB/);
    expect(byCase('drain').measured).toMatch(/^0, 0 B/);
  });
});

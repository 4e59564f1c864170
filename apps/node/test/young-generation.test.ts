import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { pinYoungGeneration } from '../src/young-generation.js';

const child = fileURLToPath(new URL('./support/young-generation-child.ts', import.meta.url));

/** A child process's young generation (MiB) before and at most while 2.5 GiB of Buffers pass. */
async function newSpaceMiB(pin: boolean): Promise<{ before: number; peak: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', child, pin ? 'pin' : 'default'],
    {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
  const [before, peak] = stdout.trim().split(' ').map(Number);
  return { before: before ?? NaN, peak: peak ?? NaN };
}

describe('pinYoungGeneration', () => {
  it('leaves an explicit young-generation size from the command line or NODE_OPTIONS alone', () => {
    expect(pinYoungGeneration(['--max-semi-space-size=8'], '')).toBe(false);
    expect(pinYoungGeneration(['--max_semi_space_size=8'], '')).toBe(false);
    expect(pinYoungGeneration([], '--max-old-space-size=512 --semi-space-growth-factor=4')).toBe(
      false,
    );
  });

  it('keeps the young generation from growing while Buffers stream through', async () => {
    const [unpinned, pinned] = await Promise.all([newSpaceMiB(false), newSpaceMiB(true)]);
    // Unpinned, the same allocations grow it (so this test can fail).
    expect(unpinned.peak).toBeGreaterThanOrEqual(2 * unpinned.before);
    expect(pinned.peak).toBe(pinned.before);
  });
});

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const main = fileURLToPath(new URL('../../apps/node/dist/main.js', import.meta.url));

it('the start command rejects a bad listen address with exit code 2', () => {
  const result = spawnSync(process.execPath, [main, 'not-an-address'], { encoding: 'utf8' });
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(/usage/);
});

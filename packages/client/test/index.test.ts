import { expect, it } from 'vitest';
import { PACKAGE_NAME } from '../src/index.js';

it('names its package', () => {
  expect(PACKAGE_NAME).toBe('@dfs/client');
});

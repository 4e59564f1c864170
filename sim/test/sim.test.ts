import { expect, it } from 'vitest';

it('has a test', () => {
  expect(true).toBe(true);
});

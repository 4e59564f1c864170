import { expect, it } from 'vitest';

it('has a test', () => {
  expect(1 + 1).toBe(2);
});

import { expect, it } from 'vitest';
import { failingSeeds } from './fault-seeds.js';

it('holds every invariant for seeds 101–200 with the CI fault classes', async () => {
  expect(await failingSeeds(101, 100)).toEqual([]);
}, 180_000);

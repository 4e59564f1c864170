import * as api from '@dfs/api';
import { describe, expect, it } from 'vitest';
import { decodeName, encodeName, nameProblem } from '../src/index.js';

// The rules themselves are tested once, in @dfs/api (packages/api/test/names.test.ts).
describe('names', () => {
  it("are the contract's own rules, re-exported (so the client and the node never disagree)", () => {
    expect(encodeName).toBe(api.encodeName);
    expect(decodeName).toBe(api.decodeName);
    expect(nameProblem).toBe(api.nameProblem);
  });
});

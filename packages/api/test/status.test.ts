import { describe, expect, it } from 'vitest';
import { PATHS, nodeStatsSchema, statusViewSchema } from '../src/index.js';

const stats = {
  files: 3,
  bytes: 1024,
  diskFree: 10,
  diskTotal: 20,
  transfersIn: 1,
  transfersOut: 0,
  backlog: 4,
  bytesIn: 5,
  bytesOut: 6,
  uptime: 7,
};
const member = { id: 'n1', addr: '127.0.0.1:4001', state: 'alive', incarnation: 2, lastSeen: 5 };

describe('the status schemas', () => {
  it('accept a status view with answered, silent and dead members', () => {
    const view = {
      self: 'n1',
      replicas: 3,
      at: 9,
      members: [
        { ...member, api: 'http://127.0.0.1:4001', stats },
        { ...member, id: 'n2', stats: null, error: 'timeout' },
        { ...member, id: 'n3', state: 'dead', stats: null, error: 'dead' },
      ],
    };
    expect(statusViewSchema.parse(view)).toEqual(view);
    expect(PATHS.status).toBe('/v1/status');
  });

  it('refuse stats that are negative, fractional, too large or missing a field', () => {
    for (const key of Object.keys(stats)) {
      for (const bad of [-1, 1.5, Number.MAX_SAFE_INTEGER + 2, '1', null]) {
        expect(nodeStatsSchema.safeParse({ ...stats, [key]: bad }).success).toBe(false);
      }
      const { [key]: _dropped, ...missing } = stats as Record<string, number>;
      expect(nodeStatsSchema.safeParse(missing).success).toBe(false);
    }
  });

  it('drop fields it does not know', () => {
    expect(nodeStatsSchema.parse({ ...stats, secret: 'x'.repeat(10) })).toEqual(stats);
  });
});

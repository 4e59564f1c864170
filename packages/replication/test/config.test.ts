import { describe, expect, it } from 'vitest';
import { REPLICATION_DEFAULTS, resolveConfig } from '../src/config.js';

describe('replication config', () => {
  it('announceBatchMs batches announcements: 0 (send after the current burst) by default, never negative', () => {
    expect(REPLICATION_DEFAULTS.announceBatchMs).toBe(0);
    expect(resolveConfig({ announceBatchMs: 0 }).announceBatchMs).toBe(0);
    expect(resolveConfig({ announceBatchMs: 50 }).announceBatchMs).toBe(50);
    expect(() => resolveConfig({ announceBatchMs: -1 })).toThrow(RangeError);
  });

  it('a field it does not have is refused by name, so a renamed option is never silently ignored', () => {
    const legacy = { gossipIntervalMs: 50 } as Partial<typeof REPLICATION_DEFAULTS>;
    expect(() => resolveConfig(legacy)).toThrow(/has no field gossipIntervalMs/);
  });
});

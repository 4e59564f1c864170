import { describe, expect, it } from 'vitest';
import { runReplication, type ReplicationRunOptions } from '../src/replication/run.js';
import { scenario } from '../src/scenarios/replication.js';
import { checkLastAcknowledgedWins, WriteLog } from '../src/replication/writes.js';

const small: ReplicationRunOptions = {
  seed: 3,
  nodes: 12,
  names: 6,
  writesBefore: 20,
  writesDuring: 20,
  writeWindowMs: 3_000,
  minBytes: 0,
  maxBytes: 64,
  splitMs: 10_000,
  detectMs: 2_000,
  timeoutMs: 60_000,
  readBackNodes: 12,
  measureBytes: true,
};

describe('replication scenario (real engines, 12 nodes)', () => {
  it('converges after a partition with writes on both sides, and the newest acknowledged write of every name wins', async () => {
    const run = await runReplication(small);
    expect(run.writes.acknowledged).toBeGreaterThan(20);
    expect(run.writes.failed).toBe(0);
    expect(run.convergedBeforeSplitMs).toBeDefined();
    expect(run.indexAgreedAfterHealMs).toBeDefined();
    expect(run.convergedAfterHealMs).toBeDefined();
    expect(run.indexAgreedAfterHealMs!).toBeLessThanOrEqual(run.convergedAfterHealMs!);
    expect(run.lost).toEqual([]);
    expect(run.badReadBacks).toBe(0);
    expect(run.liveFiles + run.tombstones).toBeGreaterThan(0);
    expect(run.messagesPerNode).toBeGreaterThan(0);
    expect(run.bytesPerNode).toBeGreaterThan(0);
  });

  it('is reproducible from its seed', async () => {
    const a = await runReplication({ ...small, writesBefore: 8, writesDuring: 8 });
    const b = await runReplication({ ...small, writesBefore: 8, writesDuring: 8 });
    expect(a).toEqual(b);
  });

  it('reports figures and a pass verdict through the Scenario interface', async () => {
    const result = await scenario.run({ seed: 1, nodes: 10 });
    expect(result.name).toBe('replication');
    expect(result.passed).toBe(true);
    expect(result.figures['10 nodes: acknowledged writes lost']).toBe(0);
  });
});

describe('last acknowledged version wins (the check itself)', () => {
  const log = (): WriteLog => {
    const l = new WriteLog();
    l.acknowledged.push(
      { kind: 'put', name: 'a', version: 'v1', sha256: 's1' },
      { kind: 'delete', name: 'a', version: 'v2', sha256: '' },
      { kind: 'put', name: 'b', version: 'v3', sha256: 's3' },
    );
    return l;
  };

  it('accepts a final state at the newest acknowledged writes', () => {
    const final = {
      a: { version: 'v2', deleted: true, sha256: '' },
      b: { version: 'v3', deleted: false, sha256: 's3' },
    };
    expect(checkLastAcknowledgedWins(log(), (n) => final[n as 'a' | 'b'])).toEqual([]);
  });

  it('flags an older version, a resurrected delete, wrong bytes and a forgotten name', () => {
    const older = {
      a: { version: 'v1', deleted: false, sha256: 's1' },
      b: { version: 'v3', deleted: false, sha256: 'x' },
    };
    const lost = checkLastAcknowledgedWins(log(), (n) => older[n as 'a' | 'b']);
    expect(lost.map((l) => l.name)).toEqual(['a', 'b']);
    expect(checkLastAcknowledgedWins(log(), () => undefined)).toHaveLength(2);
  });
});

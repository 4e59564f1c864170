import { Readable } from 'node:stream';
import { VirtualClock, seededRandom } from '@dfs/transport';
import { describe, expect, it } from 'vitest';
import { checkInvariants } from '../src/faults/checker.js';
import type { EntryView, FinalState } from '../src/faults/checker.js';
import type { OpRecord } from '../src/faults/history.js';
import { Incarnation } from '../src/faults/incarnation.js';
import { SimBlobStore } from '../src/faults/sim-blob-store.js';
import { SimDisk } from '../src/faults/sim-disk.js';

/** Runs `work` while advancing virtual time until it settles (fails after 1 s of virtual time). */
async function settle<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let done = false;
  const tracked = work.finally(() => {
    done = true;
  });
  tracked.catch(() => undefined);
  await clock.runUntil(() => done, { timeoutMs: 1_000, stepMs: 1 });
  return tracked;
}

describe('the simulated disk', () => {
  it('loses written-but-unsynced bytes in a crash and keeps synced ones', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk(seededRandom(1));
    const fs = disk.view(new Incarnation(clock, 0));
    const file = await settle(clock, fs.open('/d/log', { create: true }));
    await settle(clock, fs.syncDir('/d'));
    await settle(clock, file.write(Buffer.from('durable'), 0));
    await settle(clock, file.datasync());
    await settle(clock, file.write(Buffer.from('-lost'), 7));
    expect((await settle(clock, fs.readFile('/d/log')))?.toString()).toBe('durable-lost');
    disk.crash();
    const after = disk.view(new Incarnation(clock, 0));
    expect((await settle(clock, after.readFile('/d/log')))?.toString()).toBe('durable');
  });

  it('loses a file whose directory entry was never synced, even if its data was', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk(seededRandom(1));
    const fs = disk.view(new Incarnation(clock, 0));
    const file = await settle(clock, fs.open('/d/new', { create: true }));
    await settle(clock, file.write(Buffer.from('data'), 0));
    await settle(clock, file.datasync());
    disk.crash();
    expect(await settle(clock, disk.view(new Incarnation(clock, 0)).readFile('/d/new'))).toBe(
      undefined,
    );
  });

  it('keeps the old file after a crash when a rename was not followed by syncDir', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk(seededRandom(1));
    const fs = disk.view(new Incarnation(clock, 0));
    for (const [path, text] of [
      ['/d/log', 'old'],
      ['/d/log.tmp', 'new'],
    ] as const) {
      const file = await settle(clock, fs.open(path, { create: true }));
      await settle(clock, file.write(Buffer.from(text), 0));
      await settle(clock, file.datasync());
    }
    await settle(clock, fs.syncDir('/d'));
    await settle(clock, fs.rename('/d/log.tmp', '/d/log'));
    disk.crash();
    const after = disk.view(new Incarnation(clock, 0));
    expect((await settle(clock, after.readFile('/d/log')))?.toString()).toBe('old');
  });

  it('reports short writes, ENOSPC and EIO to the caller', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk(seededRandom(7));
    const fs = disk.view(new Incarnation(clock, 0));
    const file = await settle(clock, fs.open('/d/log', { create: true }));
    disk.faults.shortWriteRate = 1;
    const written = await settle(clock, file.write(Buffer.alloc(100, 1), 0));
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(100);
    disk.faults.shortWriteRate = 0;
    disk.faults.full = true;
    await expect(settle(clock, file.write(Buffer.alloc(1), 0))).rejects.toMatchObject({
      code: 'ENOSPC',
    });
    disk.faults.full = false;
    disk.faults.eioRate = 1;
    await expect(settle(clock, file.datasync())).rejects.toMatchObject({ code: 'EIO' });
  });

  it('never settles a call made through a dead incarnation', async () => {
    const clock = new VirtualClock();
    const disk = new SimDisk(seededRandom(1));
    const life = new Incarnation(clock, 0);
    const fs = disk.view(life);
    life.kill();
    let settled = false;
    void fs.readFile('/d/log').finally(() => (settled = true));
    await clock.advance(1_000);
    expect(settled).toBe(false);
  });
});

describe('the simulated blob store', () => {
  const body = (text: string): Readable => Readable.from([Buffer.from(text)]);

  it('ends a read of a body damaged at rest with ERR_INTEGRITY, and verify rejects it', async () => {
    const clock = new VirtualClock();
    const blobs = new SimBlobStore(seededRandom(3));
    const store = blobs.view(new Incarnation(clock, 0));
    await settle(clock, store.put('k', body('some bytes long enough to span chunks')));
    expect(blobs.flipBit('k')).toBe(true);
    const stream = await settle(clock, store.get('k'));
    const read = (async () => {
      for await (const chunk of stream) void chunk;
    })();
    await expect(read).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    await expect(settle(clock, store.verify('k'))).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
  });

  it('refuses a body whose sha256 is not the expected one, keeping nothing', async () => {
    const clock = new VirtualClock();
    const blobs = new SimBlobStore(seededRandom(3));
    const store = blobs.view(new Incarnation(clock, 0));
    await expect(
      settle(clock, store.put('k', body('x'), { expectedSha256: '0'.repeat(64) })),
    ).rejects.toMatchObject({ code: 'ERR_INTEGRITY' });
    expect(await settle(clock, store.stat('k'))).toBe(undefined);
  });

  it('fails puts with ERR_NO_SPACE while full, and a put running at a crash leaves nothing', async () => {
    const clock = new VirtualClock();
    const blobs = new SimBlobStore(seededRandom(3));
    const life = new Incarnation(clock, 0);
    const store = blobs.view(life);
    blobs.faults.full = true;
    await expect(settle(clock, store.put('k', body('x')))).rejects.toMatchObject({
      code: 'ERR_NO_SPACE',
    });
    blobs.faults.full = false;
    void store.put('k', body('x'));
    life.kill();
    await clock.advance(100);
    expect(blobs.keys()).toEqual([]);
  });
});

describe('the invariant checker', () => {
  const life = new Incarnation(new VirtualClock(), 0);
  const put = (id: number, node: string, version: string, sha256: string): OpRecord => ({
    id,
    kind: 'put',
    node,
    name: 'a',
    startedAt: 0,
    life,
    sha256,
    infoSha256: sha256,
    outcome: 'ok',
    version,
  });
  const v = (n: number, node: string): string =>
    `${n.toString(16).padStart(12, '0')}.00000000.${node}`;
  const finalWith = (view: EntryView | undefined): FinalState => ({
    nodes: ['node-0'],
    views: new Map([['node-0', new Map([['a', view]])]]),
    lists: new Map([['node-0', view === undefined || view.deleted ? [] : ['a']]]),
    reads: new Map([
      [
        'node-0',
        new Map(view === undefined ? [] : [['a', { sha256: view.sha256, version: view.version }]]),
      ],
    ]),
    notLocal: [],
  });
  const sha = (c: string): string => c.repeat(64);

  it('passes when the newest acknowledged write is what every node has', () => {
    const ops = [
      put(0, 'node-0', v(1, 'node-0'), sha('a')),
      put(1, 'node-1', v(2, 'node-1'), sha('b')),
    ];
    const final = finalWith({
      version: v(2, 'node-1'),
      deleted: false,
      sha256: sha('b'),
      local: true,
    });
    expect(checkInvariants(ops, final, { phantomNames: new Set() })).toEqual([]);
  });

  it('reports an acknowledged write that was lost', () => {
    const ops = [
      put(0, 'node-0', v(1, 'node-0'), sha('a')),
      put(1, 'node-1', v(2, 'node-1'), sha('b')),
    ];
    const final = finalWith({
      version: v(1, 'node-0'),
      deleted: false,
      sha256: sha('a'),
      local: true,
    });
    expect(checkInvariants(ops, final, { phantomNames: new Set() })).toContainEqual(
      expect.objectContaining({ invariant: 'acknowledged-write-lost', name: 'a' }),
    );
  });

  it('reports a failed write whose version won', () => {
    const failed: OpRecord = {
      ...put(1, 'node-1', v(0, 'x'), sha('c')),
      outcome: 'failed',
      code: 'ENOSPC',
    };
    delete failed.version;
    const ops = [put(0, 'node-0', v(1, 'node-0'), sha('a')), failed];
    const final = finalWith({
      version: v(5, 'node-1'),
      deleted: false,
      sha256: sha('c'),
      local: true,
    });
    expect(checkInvariants(ops, final, { phantomNames: new Set() })).toContainEqual(
      expect.objectContaining({ invariant: 'unacknowledged-version-won', name: 'a' }),
    );
  });

  it('accepts a newer version from a write whose answer was lost in a crash', () => {
    const unknown: OpRecord = { ...put(1, 'node-1', v(0, 'x'), sha('c')), outcome: 'unknown' };
    delete unknown.version;
    const ops = [put(0, 'node-0', v(1, 'node-0'), sha('a')), unknown];
    const final = finalWith({
      version: v(5, 'node-1'),
      deleted: false,
      sha256: sha('c'),
      local: true,
    });
    expect(checkInvariants(ops, final, { phantomNames: new Set() })).toEqual([]);
  });

  it('reports bytes served that are not the version’s', () => {
    const ops = [put(0, 'node-0', v(1, 'node-0'), sha('a'))];
    const final = finalWith({
      version: v(1, 'node-0'),
      deleted: false,
      sha256: sha('a'),
      local: true,
    });
    (final.reads.get('node-0') as Map<string, unknown>).set('a', {
      sha256: sha('f'),
      version: v(1, 'node-0'),
    });
    expect(checkInvariants(ops, final, { phantomNames: new Set() })).toContainEqual(
      expect.objectContaining({ invariant: 'served-wrong-bytes' }),
    );
  });
});

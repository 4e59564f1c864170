/**
 * A peer is not trusted with anything it can make up: holder ids, versions from the future,
 * tombstone expiries, or the volume of its announcements. The hostile peer here is a raw transport
 * on the test network sending crafted `dfs/repl/announce/2` messages (or a real engine whose clock
 * runs a century ahead), against real engines on the virtual clock.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryTransport } from '@dfs/transport';
import { FileIndex } from '../src/file-index.js';
import { encodeVersion } from '../src/hlc.js';
import { holdingNodes } from '../src/merge.js';
import type { ReplicatedEntry } from '../src/merge.js';
import { PROTOCOLS, compareVersions, isReplicationError, versionWallTime } from '../src/index.js';
import type { ReplicationLogger } from '../src/index.js';
import { TestCluster, body, readText } from './cluster.js';
import type { TestNode } from './cluster.js';
import { holding } from './slots.js';

const YEAR_MS = 365 * 24 * 60 * 60 * 1000;
const MAX_SKEW_MS = 60_000; // the default maxClockSkewMs
const SHA = 'ab'.repeat(32);

let cluster: TestCluster | undefined;
const hostiles: MemoryTransport[] = [];
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
  for (const t of hostiles.splice(0)) await t.close();
});

async function hostilePeer(c: TestCluster, id = 'evil'): Promise<MemoryTransport> {
  const transport = c.network.createTransport({ id, address: `mem-${id}` });
  await transport.listen();
  hostiles.push(transport);
  return transport;
}

/** Sends one announcement and waits until `to` has handled it. */
async function announce(
  c: TestCluster,
  from: MemoryTransport,
  to: TestNode,
  entries: ReplicatedEntry[],
): Promise<void> {
  const before = to.engine.stats().announcementsReceived;
  await from.send(to.address, PROTOCOLS.announce, { entries });
  await c.until(() => to.engine.stats().announcementsReceived > before);
}

function tombstone(name: string, version: string, expiresAt: number): ReplicatedEntry {
  return { name, version, size: 0, sha256: '', deleted: true, expiresAt, holders: [] };
}

function liveEntry(name: string, version: string, holders: string[]): ReplicatedEntry {
  return {
    name,
    version,
    size: 5,
    sha256: SHA,
    deleted: false,
    expiresAt: 0,
    holders: holding(...holders),
  };
}

function recordingLogger(): {
  logger: ReplicationLogger;
  warnings: { object: object; message: string }[];
} {
  const warnings: { object: object; message: string }[] = [];
  return {
    warnings,
    logger: {
      debug() {},
      info() {},
      warn(object, message) {
        warnings.push({ object, message: message ?? '' });
      },
    },
  };
}

describe('hostile peers: holders', () => {
  it('made-up holder ids are dropped, so the record stays small and survives a restart', async () => {
    cluster = await TestCluster.create(3);
    const [a, b] = cluster.nodes;
    const info = await a!.engine.put('doc', body('hello'));
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.describe('doc')?.local));
    const evil = await hostilePeer(cluster);
    // 80 announcements of 1,023 fresh made-up ids each: 80k ids, over 1 MiB if they were kept.
    for (let round = 0; round < 80; round++) {
      const fake = Array.from({ length: 1023 }, (_, i) => `fake-${round}-${i}`);
      await announce(cluster, evil, b!, [
        {
          ...liveEntry('doc', info.version, [...fake, 'node-0']),
          size: info.size,
          sha256: info.sha256,
        },
      ]);
    }
    const answer = (await cluster.drive(
      evil.request(b!.address, PROTOCOLS.lookup, { name: 'doc' }),
    )) as { entry: ReplicatedEntry };
    expect(holdingNodes(answer.entry)).toEqual(['node-0', 'node-1', 'node-2']);
    const log = await stat(join(b!.dir, 'index', 'index.log'));
    expect(log.size).toBeLessThan(64 * 1024);
    expect(b!.engine.stats().unknownHoldersDropped).toBe(80 * 1023);

    await cluster.stopNode(b!);
    await cluster.restartNode(b!);
    expect((await b!.engine.list({ limit: 10 })).files.map((f) => f.name)).toEqual(['doc']);
    expect(await readText(b!.engine, 'doc')).toBe('hello');
  }, 60_000);
});

describe('hostile peers: versions from the future', () => {
  const decoys: [string, (now: number) => string][] = [
    ['the largest encodable version', () => 'ffffffffffff.ffffffff.evil'],
    [
      'a version 100 years ahead',
      (now) => encodeVersion({ wall: now + 100 * YEAR_MS, counter: 0 }, 'evil'),
    ],
  ];

  for (const [label, decoy] of decoys) {
    it(`${label} is refused: later puts get higher versions, reads find them, restarts never re-issue`, async () => {
      cluster = await TestCluster.create(2);
      const [a, b] = cluster.nodes;
      const first = await a!.engine.put('name', body('v1'));
      await cluster.until(() => b!.engine.describe('name')?.local === true);
      const evil = await hostilePeer(cluster);
      const version = decoy(cluster.clock.now());
      await announce(cluster, evil, a!, [
        tombstone('name', version, Number.MAX_SAFE_INTEGER),
        liveEntry('other', version, ['evil']),
      ]);
      expect(a!.engine.describe('name')?.version).toBe(first.version);
      expect(a!.engine.describe('other')).toBeUndefined();
      expect(a!.engine.stats().futureVersionsRejected).toBe(2);

      const second = await a!.engine.put('name', body('v2'));
      expect(compareVersions(second.version, first.version)).toBeGreaterThan(0);
      expect(versionWallTime(second.version)).toBeLessThan(cluster.clock.now() + MAX_SKEW_MS);
      expect(await readText(a!.engine, 'name')).toBe('v2');

      await cluster.stopNode(a!);
      await cluster.restartNode(a!);
      const third = await a!.engine.put('name', body('v3'));
      expect(compareVersions(third.version, second.version)).toBeGreaterThan(0);
      expect(versionWallTime(third.version)).toBeLessThan(cluster.clock.now() + MAX_SKEW_MS);
      expect(await readText(a!.engine, 'name')).toBe('v3');
      await cluster.until(() => b!.engine.describe('name')?.version === third.version);
      expect(b!.engine.describe('other')).toBeUndefined();
    });
  }

  it('a version just inside the skew bound is taken and later local versions order after it', async () => {
    cluster = await TestCluster.create(1);
    const [a] = cluster.nodes;
    const evil = await hostilePeer(cluster);
    const near = encodeVersion({ wall: cluster.clock.now() + MAX_SKEW_MS - 1, counter: 0 }, 'evil');
    await announce(cluster, evil, a!, [tombstone('n', near, cluster.clock.now() + YEAR_MS)]);
    expect(a!.engine.describe('n')?.version).toBe(near);
    const mine = await a!.engine.put('n', body('x'));
    expect(compareVersions(mine.version, near)).toBeGreaterThan(0);
    expect(a!.engine.stats().futureVersionsRejected).toBe(0);
  });

  it('an index already holding the largest version refuses puts rather than acknowledge a lower one', async () => {
    cluster = await TestCluster.create(1);
    const [a] = cluster.nodes;
    await cluster.stopNode(a!);
    // What a node that accepted the decoy before the bound existed has on disk.
    const index = await FileIndex.open({ dir: join(a!.dir, 'index'), fsync: 'never' });
    await index.set({ ...tombstone('name', 'ffffffffffff.ffffffff.evil', 0), local: false });
    await index.close();
    await cluster.restartNode(a!);
    await expect(a!.engine.put('name', body('x'))).rejects.toSatisfy((e) =>
      isReplicationError(e, 'ERR_UNAVAILABLE'),
    );
    expect(a!.engine.describe('name')?.version).toBe('ffffffffffff.ffffffff.evil');
    expect(a!.engine.stats().localPuts).toBe(0);
  });

  it('anti-entropy with a peer whose clock runs a century ahead refuses its entries every round, warning once', async () => {
    const { logger, warnings } = recordingLogger();
    cluster = await TestCluster.create(1, { logger });
    const [a] = cluster.nodes;
    const skewed = await cluster.addNode();
    // The second node's entry carries a version a century ahead, as if written with that clock.
    await cluster.stopNode(skewed);
    const future = encodeVersion(
      { wall: cluster.clock.now() + 100 * YEAR_MS, counter: 0 },
      'node-1',
    );
    const index = await FileIndex.open({ dir: join(skewed.dir, 'index'), fsync: 'never' });
    await index.set({
      ...tombstone('from-the-future', future, Number.MAX_SAFE_INTEGER),
      local: false,
    });
    await index.close();
    await cluster.restartNode(skewed);
    for (let round = 0; round < 3; round++) {
      await cluster.drive(a!.engine.syncWith({ id: skewed.id, address: skewed.address }));
    }
    expect(a!.engine.describe('from-the-future')).toBeUndefined();
    // Its own anti-entropy timer may have run rounds too: every one refused the entry.
    expect(a!.engine.stats().futureVersionsRejected).toBeGreaterThanOrEqual(3);
    const lines = warnings.filter((w) => w.message.includes('too far ahead'));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.object).toMatchObject({ peer: 'node-1', name: 'from-the-future' });
    const mine = await a!.engine.put('here', body('y'));
    expect(versionWallTime(mine.version)).toBeLessThan(cluster.clock.now() + MAX_SKEW_MS);
  });

  it('a read miss is answered by the honest peers even when one answers with a future version', async () => {
    cluster = await TestCluster.create(3);
    const [a, , liar] = cluster.nodes;
    await a!.engine.put('x', body('honest'));
    await cluster.until(() => cluster!.nodes.every((n) => n.engine.describe('x')?.local));
    const decoy = liveEntry('x', 'ffffffffffff.ffffffff.node-2', ['node-2']);
    liar!.transport.unhandle(PROTOCOLS.lookup);
    liar!.transport.handle(PROTOCOLS.lookup, () => ({ entry: decoy }));
    const late = await cluster.addNode();
    expect(await cluster.drive(readText(late.engine, 'x'))).toBe('honest');
    expect(late.engine.stats().futureVersionsRejected).toBeGreaterThanOrEqual(1);
  });
});

describe('hostile peers: tombstone expiry', () => {
  it('tombstones with a far-future expiresAt expire on the local TTL', async () => {
    cluster = await TestCluster.create(2, { config: { tombstoneTtlMs: 5_000 } });
    const [a, b] = cluster.nodes;
    await a!.engine.put('real', body('r'));
    await cluster.until(() => b!.engine.describe('real')?.local === true);
    const evil = await hostilePeer(cluster);
    const now = cluster.clock.now();
    const junk = Array.from({ length: 200 }, (_, i) =>
      tombstone(
        `junk-${i}`,
        encodeVersion({ wall: now, counter: i }, 'evil'),
        Number.MAX_SAFE_INTEGER,
      ),
    );
    const deleteReal = tombstone(
      'real',
      encodeVersion({ wall: now, counter: 1_000 }, 'evil'),
      Number.MAX_SAFE_INTEGER,
    );
    await announce(cluster, evil, a!, [...junk, deleteReal]);
    expect(a!.engine.stats().indexEntries).toBe(201);
    expect(a!.engine.describe('real')?.deleted).toBe(true);
    await cluster.until(() => b!.engine.describe('real')?.deleted === true);
    await cluster.until(
      () => a!.engine.stats().indexEntries === 0 && b!.engine.stats().indexEntries === 0,
      20_000,
    );
    // Within the TTL: the peer's expiry was never the one used.
    expect(cluster.clock.now() - now).toBeLessThan(5_000 + 2 * 1_000 + 100);
  });
});

describe('hostile peers: announcement quotas', () => {
  it('a flood of announced entries from one peer is capped by its token bucket, with one warning', async () => {
    const { logger, warnings } = recordingLogger();
    cluster = await TestCluster.create(1, {
      config: { announceRatePerPeer: 100, announceBurstPerPeer: 1_000 },
      logger,
    });
    const [a] = cluster.nodes;
    const evil = await hostilePeer(cluster);
    const now = cluster.clock.now();
    const batch = (from: number): ReplicatedEntry[] =>
      Array.from({ length: 512 }, (_, i) =>
        tombstone(
          `flood-${from + i}`,
          encodeVersion({ wall: now, counter: from + i }, 'evil'),
          now + YEAR_MS,
        ),
      );
    // All ten in one virtual instant, so the bucket does not refill between them.
    for (let m = 0; m < 10; m++)
      await evil.send(a!.address, PROTOCOLS.announce, { entries: batch(m * 512) });
    await cluster.until(() => a!.engine.stats().announcementsReceived === 10);
    expect(a!.engine.stats().indexEntries).toBe(1_000);
    expect(a!.engine.stats().announcedEntriesThrottled).toBe(10 * 512 - 1_000);
    const quotaLines = warnings.filter((w) => w.message.includes('quota'));
    expect(quotaLines).toHaveLength(1);
    expect(quotaLines[0]!.object).toMatchObject({ peer: 'evil' });

    // The bucket refills at the configured rate on the injected clock.
    await cluster.clock.advance(2_000);
    await announce(cluster, evil, a!, batch(10 * 512));
    expect(a!.engine.stats().indexEntries).toBe(1_200);
  });

  it('messages past the wire bounds are dropped whole, counted, and logged once a minute', async () => {
    const { logger, warnings } = recordingLogger();
    cluster = await TestCluster.create(1, { logger });
    const [a] = cluster.nodes;
    const evil = await hostilePeer(cluster);
    const version = encodeVersion({ wall: cluster.clock.now(), counter: 0 }, 'evil');
    const oversized: ReplicatedEntry[][] = [
      Array.from({ length: 513 }, (_, i) => tombstone(`n-${i}`, version, 0)),
      [tombstone('n'.repeat(1025), version, 0)],
      [
        liveEntry(
          'n',
          version,
          Array.from({ length: 1025 }, (_, i) => `h-${i}`),
        ),
      ],
      [{ ...liveEntry('n', version, []), sha256: 'ab'.repeat(33) }],
      [tombstone('n', `${'0'.repeat(12)}.${'0'.repeat(8)}.${'x'.repeat(200)}`, 0)],
    ];
    for (const entries of oversized) {
      const before = a!.engine.stats().invalidMessages;
      await evil.send(a!.address, PROTOCOLS.announce, { entries });
      await cluster.until(() => a!.engine.stats().invalidMessages > before);
    }
    expect(a!.engine.stats().indexEntries).toBe(0);
    expect(a!.engine.stats().announcementsReceived).toBe(0);
    expect(warnings.filter((w) => w.message === 'invalid announcement dropped')).toHaveLength(1);
  });
});

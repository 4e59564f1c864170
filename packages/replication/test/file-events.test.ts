import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { fileEventOf, type FileEvent } from '../src/index.js';
import type { IndexEntry } from '../src/index-entry.js';
import { TestCluster, body } from './cluster.js';

const entry = (fields: Partial<IndexEntry> & { version: string }): IndexEntry => ({
  name: 'n',
  size: 5,
  sha256: 'a'.repeat(64),
  deleted: false,
  expiresAt: 0,
  holders: [],
  local: false,
  ...fields,
});

describe('fileEventOf', () => {
  it('names each kind of change', () => {
    const live = entry({ version: 'v1' });
    expect(fileEventOf(undefined, live)?.kind).toBe('put');
    expect(fileEventOf(live, entry({ version: 'v2', local: true }))).toMatchObject({
      kind: 'put',
      version: 'v2',
      local: true,
      size: 5,
    });
    expect(fileEventOf(live, entry({ version: 'v1', local: true }))?.kind).toBe('stored');
    expect(fileEventOf(entry({ version: 'v1', local: true }), live)?.kind).toBe('dropped');
    const tombstone = entry({ version: 'v3', deleted: true, size: 0 });
    expect(fileEventOf(live, tombstone)).toMatchObject({ kind: 'delete', size: 0 });
  });

  it('reports nothing for holder-only changes, repeats, or a tombstone of an unknown name', () => {
    const live = entry({ version: 'v1', local: true });
    expect(fileEventOf(live, { ...live, holders: [{ node: 'b', seq: 1, holds: true }] })).toBe(
      undefined,
    );
    const tombstone = entry({ version: 'v2', deleted: true });
    expect(fileEventOf(undefined, tombstone)).toBe(undefined);
    expect(fileEventOf(tombstone, tombstone)).toBe(undefined);
    expect(fileEventOf(tombstone, entry({ version: 'v3', deleted: true }))).toBe(undefined);
  });

  it('an event always describes the new entry, and a version change is a put or a delete', () => {
    const arbitrary = fc.record({
      version: fc.constantFrom('v1', 'v2'),
      deleted: fc.boolean(),
      local: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.option(arbitrary, { nil: undefined }), arbitrary, (before, after) => {
        const previous = before === undefined ? undefined : entry(before);
        const next = entry(after);
        const event = fileEventOf(previous, next);
        if (event === undefined) return;
        expect(event).toMatchObject({ name: next.name, version: next.version, local: next.local });
        const versionChanged = previous?.version !== next.version;
        expect(['put', 'delete'].includes(event.kind)).toBe(versionChanged);
        expect(event.kind === 'delete').toBe(next.deleted);
      }),
    );
  });
});

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe('ReplicationEngine.watchFiles', () => {
  it('tells the writer of its put and delete, and a peer of the put, its stored copy and the delete', async () => {
    cluster = await TestCluster.create(2);
    const [a, b] = cluster.nodes;
    const onA: FileEvent[] = [];
    const onB: FileEvent[] = [];
    a!.engine.watchFiles((e) => onA.push(e));
    const stopB = b!.engine.watchFiles((e) => onB.push(e));
    const info = await a!.engine.put('docs/x', body('hello'));
    await cluster.until(() => b!.engine.describe('docs/x')?.local === true);
    expect(onA).toContainEqual({
      kind: 'put',
      name: 'docs/x',
      version: info.version,
      size: 5,
      local: true,
    });
    // B learns the version, then holds its body: a put then `stored`, or one put already local.
    expect(onB[0]).toMatchObject({ kind: 'put', name: 'docs/x', version: info.version });
    expect(onB.some((e) => e.name === 'docs/x' && e.local)).toBe(true);
    await a!.engine.delete('docs/x');
    await cluster.until(() => b!.engine.describe('docs/x')?.deleted === true);
    expect(onA.at(-1)).toMatchObject({ kind: 'delete', name: 'docs/x' });
    expect(onB.at(-1)).toMatchObject({ kind: 'delete', name: 'docs/x' });
    stopB();
    const seen = onB.length;
    await a!.engine.put('after', body('x'));
    await cluster.until(() => b!.engine.describe('after')?.local === true);
    expect(onB.length).toBe(seen);
  });

  it('a listener that throws does not stop the write or the other listeners', async () => {
    cluster = await TestCluster.create(1);
    const engine = cluster.nodes[0]!.engine;
    const seen: string[] = [];
    engine.watchFiles(() => {
      throw new Error('boom');
    });
    engine.watchFiles((e) => seen.push(e.kind));
    await engine.put('y', body('y'));
    expect(seen).toEqual(['put']);
  });
});

import { describe, expect, it } from 'vitest';
import {
  clusterViewSchema,
  errorBodySchema,
  etagOf,
  fileEntrySchema,
  fileHeaders,
  filePath,
  healthSchema,
  listPageSchema,
  nodeActionPath,
  nodeRowSchema,
  parseNodeActionPath,
  putResultSchema,
  sha256OfEtag,
} from '../src/index.js';

const sha = 'a'.repeat(64);
const member = { id: 'n1', addr: '127.0.0.1:4001', state: 'alive', incarnation: 2, lastSeen: 5 };
const cluster = { replicas: 3, rebalancePaused: false, underReplicated: 0, surplus: 0 };
const row = {
  id: 'n1',
  capacity: 1,
  replicas: 3,
  api: 'http://127.0.0.1:4001',
  status: 'draining',
  since: 5,
  stamp: 6,
  writer: 'n2',
};

describe('the response schemas', () => {
  it('accept what a node answers, keeping unknown fields out', () => {
    const put = { name: 'a/b', size: 3, sha256: sha, version: 'v1', extra: true };
    expect(putResultSchema.parse(put)).toEqual({
      name: 'a/b',
      size: 3,
      sha256: sha,
      version: 'v1',
    });
    expect(fileEntrySchema.parse({ ...put, modified: 1_700_000_000_000 }).modified).toBe(
      1_700_000_000_000,
    );
    expect(listPageSchema.parse({ files: [], next: null })).toEqual({ files: [], next: null });
    expect(clusterViewSchema.parse({ self: member, members: [member], ...cluster }).self.id).toBe(
      'n1',
    );
    const placed = { ...member, placement: { state: 'down', weight: 1, capacity: 1 } };
    expect(
      clusterViewSchema.parse({ self: member, members: [placed], ...cluster }).members[0]
        ?.placement,
    ).toEqual({ state: 'down', weight: 1, capacity: 1 });
    expect(nodeRowSchema.parse(row)).toEqual(row);
    expect(healthSchema.parse({ status: 'ok', id: 'n1', members: 3, files: 10 }).status).toBe('ok');
    expect(healthSchema.parse({ status: 'starting', id: 'n1' }).status).toBe('starting');
    expect(
      errorBodySchema.parse({ error: { code: 'NOT_FOUND', message: 'no file named "x"' } }),
    ).toEqual({ error: { code: 'NOT_FOUND', message: 'no file named "x"' } });
  });

  it.each([
    ['a negative size', putResultSchema, { name: 'a', size: -1, sha256: sha, version: 'v' }],
    ['a fractional size', putResultSchema, { name: 'a', size: 1.5, sha256: sha, version: 'v' }],
    [
      'an upper-case sha256',
      putResultSchema,
      { name: 'a', size: 1, sha256: sha.toUpperCase(), version: 'v' },
    ],
    ['an empty version', putResultSchema, { name: 'a', size: 1, sha256: sha, version: '' }],
    ['a missing modified', fileEntrySchema, { name: 'a', size: 1, sha256: sha, version: 'v' }],
    ['files that are not a list', listPageSchema, { files: 'nope', next: null }],
    ['an empty cursor', listPageSchema, { files: [], next: '' }],
    [
      'an unknown member state',
      clusterViewSchema,
      { self: member, members: [{ ...member, state: 'zombie' }], ...cluster },
    ],
    ['self as a bare id', clusterViewSchema, { self: 'n1', members: [member], ...cluster }],
    ['a cluster without replicas', clusterViewSchema, { self: member, members: [member] }],
    [
      'an unknown placement state',
      clusterViewSchema,
      {
        self: member,
        members: [{ ...member, placement: { state: 'gone', weight: 1, capacity: 1 } }],
        ...cluster,
      },
    ],
    ['zero replicas', clusterViewSchema, { self: member, members: [], ...cluster, replicas: 0 }],
    ['an unknown node status', nodeRowSchema, { ...row, status: 'retired' }],
    ['health ok without counts', healthSchema, { status: 'ok', id: 'n1' }],
    ['an unknown health status', healthSchema, { status: 'fine', id: 'n1' }],
    ['an unknown error code', errorBodySchema, { error: { code: 'TEAPOT', message: 'x' } }],
  ])('refuse %s', (_what, schema, value) => {
    expect(schema.safeParse(value).success).toBe(false);
  });
});

describe('headers and paths', () => {
  it('carry a file version in x-dfs-* headers and its sha256 as a quoted ETag', () => {
    expect(fileHeaders({ size: 3, sha256: sha, version: 'v1', holders: 2, modified: 7 })).toEqual({
      'x-dfs-size': '3',
      'x-dfs-sha256': sha,
      'x-dfs-version': 'v1',
      'x-dfs-holders': '2',
      'x-dfs-modified': '7',
    });
    expect(etagOf(sha)).toBe(`"${sha}"`);
    expect(sha256OfEtag(`W/"${sha}"`)).toBe(sha);
    expect(sha256OfEtag(null)).toBeUndefined();
  });

  it('put the percent-encoded name after /v1/files/', () => {
    expect(filePath('a b/c?d')).toBe('/v1/files/a%20b/c%3Fd');
  });

  it('name a member action by its percent-encoded id, and read it back', () => {
    expect(nodeActionPath('n/1', 'drain')).toBe('/v1/nodes/n%2F1/drain');
    expect(parseNodeActionPath('/v1/nodes/n%2F1/drain')).toEqual({ id: 'n/1', action: 'drain' });
    expect(parseNodeActionPath(nodeActionPath('abc', 'remove'))).toEqual({
      id: 'abc',
      action: 'remove',
    });
    for (const path of [
      '/v1/nodes/abc/explode',
      '/v1/nodes//drain',
      '/v1/nodes/abc',
      '/v1/nodes/a/b/drain',
      '/v1/nodes/%E0%A4%A/drain',
      '/v1/files/abc/drain',
    ]) {
      expect(parseNodeActionPath(path)).toBeUndefined();
    }
  });
});

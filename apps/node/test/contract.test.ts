/** The node's answers, checked against the contract's schemas in @dfs/api (docs/api.md). */
import {
  clusterViewSchema,
  errorBodySchema,
  HEADERS,
  healthSchema,
  listPageSchema,
  putResultSchema,
  sha256Schema,
  statusOf,
} from '@dfs/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './support/api-server.js';

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

describe('the node speaks the contract', () => {
  it('answers PUT, list, cluster and health with bodies the schemas accept', async () => {
    const put = await fetch(`${api.url}/v1/files/a/b.txt`, { method: 'PUT', body: 'hello' });
    expect(put.status).toBe(201);
    putResultSchema.parse(await put.json());
    const list = await fetch(`${api.url}/v1/files?limit=1`);
    expect(listPageSchema.parse(await list.json()).files).toHaveLength(1);
    clusterViewSchema.parse(await (await fetch(`${api.url}/v1/cluster`)).json());
    expect(healthSchema.parse(await (await fetch(`${api.url}/v1/health`)).json()).status).toBe(
      'ok',
    );
    api.setLifecycle('stopping');
    const stopping = await fetch(`${api.url}/v1/health`);
    expect(stopping.status).toBe(503);
    expect(healthSchema.parse(await stopping.json()).status).toBe('stopping');
  });

  it('sends every x-dfs-* header with a file', async () => {
    await fetch(`${api.url}/v1/files/x`, { method: 'PUT', body: 'abc' });
    const head = await fetch(`${api.url}/v1/files/x`, { method: 'HEAD' });
    expect(sha256Schema.parse(head.headers.get(HEADERS.sha256))).toBe(
      head.headers.get(HEADERS.etag)?.replaceAll('"', ''),
    );
    expect(head.headers.get(HEADERS.size)).toBe('3');
    for (const name of [HEADERS.version, HEADERS.holders, HEADERS.modified]) {
      expect(head.headers.get(name)).toMatch(/\S/);
    }
  });

  it.each([
    ['/v1/files/%2Fabs', 'PUT', 'INVALID_NAME'],
    ['/v1/files/missing', 'GET', 'NOT_FOUND'],
    ['/v1/files?limit=0', 'GET', 'BAD_REQUEST'],
    ['/v1/cluster', 'DELETE', 'METHOD_NOT_ALLOWED'],
  ] as const)(
    'answers %s %s with the status of %s and the error body',
    async (path, method, code) => {
      const response = await fetch(`${api.url}${path}`, { method });
      expect(response.status).toBe(statusOf(code));
      expect(errorBodySchema.parse(await response.json()).error.code).toBe(code);
    },
  );
});

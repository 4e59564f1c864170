/**
 * The HTTP front reads its limits from the tunables it is given (config.ts), not from module
 * constants: a test or an embedding can shorten them.
 */
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_TUNABLES } from '../src/config.js';
import { startTestApi, type TestApi } from './support/api-server.js';

let api: TestApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

it('PUT ?w=N without a timeout waits the injected default write wait', async () => {
  api = await startTestApi({ tunables: { ...DEFAULT_TUNABLES.http, writeWaitDefaultMs: 1_234 } });
  const put = await fetch(`${api.url}/v1/files/a?w=2`, { method: 'PUT', body: 'x' });
  expect(put.status).toBe(201);
  expect(api.files.holderWaits).toEqual([1_234]);
});

it('PUT ?w=N&timeout= beyond the injected maximum waits that maximum', async () => {
  api = await startTestApi({ tunables: { ...DEFAULT_TUNABLES.http, writeWaitMaxMs: 2_000 } });
  const put = await fetch(`${api.url}/v1/files/a?w=2&timeout=1h`, { method: 'PUT', body: 'x' });
  expect(put.status).toBe(201);
  expect(api.files.holderWaits).toEqual([2_000]);
});

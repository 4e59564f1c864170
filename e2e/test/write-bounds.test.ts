/**
 * `PUT ?w=N` with N larger than the members that can hold files answers 400 at once (it could never
 * be reached), against real nodes: two nodes with --replicas 3, so w=3 is within R but not placeable.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cluster, eventually } from '../src/node-process.js';
import { fileUrl, json, members } from '../src/http.js';

const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
afterAll(() => cluster.close());

describe('PUT ?w above the members in placement', () => {
  it('is refused at once with 400, storing nothing; w within them is answered 201', async () => {
    const a = await cluster.start({ flags: ['--replicas', '3'] });
    const b = await cluster.start({ peers: [a.address], flags: ['--replicas', '3'] });
    for (const node of [a, b]) {
      await eventually(
        async () =>
          (await members(node.url)).filter((m) => m.state === 'alive').length === 2
            ? true
            : undefined,
        { what: `${node.address} sees both members`, timeoutMs: 20_000 },
      );
    }
    // Both must be in placement (the nodes table synced) before w=2 is placeable everywhere.
    await eventually(
      async () => {
        const res = await fetch(fileUrl(a.url, 'ok', '?w=2&timeout=15s'), {
          method: 'PUT',
          body: 'x',
        });
        return res.status === 201 ? true : undefined;
      },
      { what: 'w=2 accepted', timeoutMs: 20_000 },
    );
    const res = await fetch(fileUrl(a.url, 'never', '?w=3'), { method: 'PUT', body: 'x' });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; message: string } }>(res);
    expect(body.error.code).toBe('BAD_REQUEST');
    expect(body.error.message).toMatch(/w=3 cannot be reached: only 2 members/);
    expect((await fetch(fileUrl(a.url, 'never'))).status).toBe(404);
  });
});

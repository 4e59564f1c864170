/**
 * The HTTP API's placement side over a fake placement: `?w` bounded by R with a majority default,
 * `?redirect=1`, `POST /v1/nodes/<id>/drain|remove` (token, unknown id), and the default quorum.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeRow } from '@dfs/api';
import { CodedError } from '@dfs/base';
import { defaultWriteQuorum, type PlacementControl } from '../src/placement-control.js';
import { startTestApi, type TestApi } from './support/api-server.js';

let api: TestApi;
afterEach(async () => {
  await api?.close();
});

class FakePlacement implements PlacementControl {
  replicas = 3;
  up = 5;
  /** Names whose body this node holds. */
  readonly local = new Set<string>();
  holders: string[] = ['http://10.0.0.2:4001', 'http://10.0.0.3:4001/'];
  readonly actions: string[] = [];
  readonly known = new Set(['node-b']);
  /** Members in placement (in or down). */
  placed = 5;
  upMembers = (): number => this.up;
  placedMembers = (): number => this.placed;
  holderApis = (): string[] => this.holders;
  holdsLocally = async (name: string): Promise<boolean> => this.local.has(name);
  drain = async (id: string): Promise<NodeRow> => this.act(id, 'draining');
  remove = async (id: string): Promise<NodeRow> => this.act(id, 'removed');
  private act(id: string, status: NodeRow['status']): NodeRow {
    if (!this.known.has(id)) throw new CodedError('ERR_NOT_MEMBER', `no member "${id}"`);
    this.actions.push(`${status} ${id}`);
    const row: NodeRow = {
      id,
      capacity: 1,
      replicas: 3,
      api: 'http://10.0.0.2:4001',
      status,
      since: 7,
      stamp: 8,
      writer: 'node-a',
    };
    return row;
  }
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('the default ?w', () => {
  it.each([
    [3, 1, 1],
    [3, 2, 2],
    [3, 3, 2],
    [3, 10, 2],
    [5, 10, 3],
    [1, 10, 1],
    [3, 0, 1],
  ])('R=%i with %i members up is %i', (replicas, up, w) => {
    expect(defaultWriteQuorum(replicas, up)).toBe(w);
  });
});

describe('PUT ?w with placement', () => {
  it('waits for a majority of the targets by default, and for none on a single node', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ placement });
    expect((await fetch(`${api.url}/v1/files/a`, { method: 'PUT', body: 'a' })).status).toBe(201);
    expect(api.files.holderCounts).toEqual([2]);
    placement.up = 1;
    expect((await fetch(`${api.url}/v1/files/b`, { method: 'PUT', body: 'b' })).status).toBe(201);
    // w=1 is this node's own fsync: nothing to wait for.
    expect(api.files.holderCounts).toEqual([2]);
  });

  it('accepts 1..R and refuses anything else with 400 naming the bound, before storing', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ placement });
    for (const w of ['0', '4', '-1', '2.5', 'two', '']) {
      const res = await fetch(`${api.url}/v1/files/w?w=${w}`, { method: 'PUT', body: 'x' });
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toContain('from 1 to 3');
    }
    expect(api.files.entries.has('w')).toBe(false);
    const three = await fetch(`${api.url}/v1/files/w?w=3`, { method: 'PUT', body: 'x' });
    expect(three.status).toBe(201);
    expect(api.files.holderCounts).toEqual([3]);
  });

  it('refuses at once a w larger than the members placement places files on', async () => {
    const placement = new FakePlacement();
    placement.replicas = 5;
    placement.placed = 4;
    api = await startTestApi({ placement });
    const res = await fetch(`${api.url}/v1/files/w5?w=5`, { method: 'PUT', body: 'x' });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toMatch(/w=5 cannot be reached: only 4 members/);
    expect(api.files.entries.has('w5')).toBe(false);
    expect(api.files.holderCounts).toEqual([]);
    const four = await fetch(`${api.url}/v1/files/w4?w=4`, { method: 'PUT', body: 'x' });
    expect(four.status).toBe(201);
    expect(api.files.holderCounts).toEqual([4]);
  });

  it('keeps 504 meaning "stored here, the write stands"', async () => {
    api = await startTestApi({ placement: new FakePlacement() });
    api.files.holdersReached = false;
    const res = await fetch(`${api.url}/v1/files/late?w=3&timeout=1s`, {
      method: 'PUT',
      body: 'x',
    });
    expect(res.status).toBe(504);
    expect((await errorOf(res)).message).toMatch(/the write stands/);
    expect(api.files.entries.has('late')).toBe(true);
  });
});

describe('DELETE ?w', () => {
  it('passes N to the engine within 1..R, keeps w=1 the default, and refuses more than R', async () => {
    api = await startTestApi({ placement: new FakePlacement() });
    for (const name of ['d1', 'd2', 'd3']) {
      await fetch(`${api.url}/v1/files/${name}?w=1`, { method: 'PUT', body: 'x' });
    }
    expect((await fetch(`${api.url}/v1/files/d1`, { method: 'DELETE' })).status).toBe(204);
    const waited = await fetch(`${api.url}/v1/files/d2?w=3&timeout=2s`, { method: 'DELETE' });
    expect(waited.status).toBe(204);
    const over = await fetch(`${api.url}/v1/files/d3?w=4`, { method: 'DELETE' });
    expect(over.status).toBe(400);
    expect(api.files.entries.has('d3')).toBe(true);
    expect(api.files.deleteWaits).toEqual([
      { w: undefined, timeoutMs: undefined },
      { w: 3, timeoutMs: 2000 },
    ]);
  });
});

describe('GET and HEAD ?redirect=1', () => {
  it('serves the body when this node holds it', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ placement });
    await fetch(`${api.url}/v1/files/here?w=1`, { method: 'PUT', body: 'local' });
    placement.local.add('here');
    const res = await fetch(`${api.url}/v1/files/here?redirect=1`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('local');
  });

  it('answers 307 to the first up holder with the same path otherwise (GET and HEAD)', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ placement });
    await fetch(`${api.url}/v1/files/dir/a%20b?w=1`, { method: 'PUT', body: 'far' });
    for (const method of ['GET', 'HEAD']) {
      const res = await fetch(`${api.url}/v1/files/dir/a%20b?redirect=1`, {
        method,
        redirect: 'manual',
      });
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toBe('http://10.0.0.2:4001/v1/files/dir/a%20b');
    }
    placement.holders = ['http://10.0.0.3:4001/'];
    const trailing = await fetch(`${api.url}/v1/files/dir/a%20b?redirect=1`, {
      redirect: 'manual',
    });
    expect(trailing.headers.get('location')).toBe('http://10.0.0.3:4001/v1/files/dir/a%20b');
    // Without the parameter the node serves it itself (through a peer in a real cluster).
    expect((await fetch(`${api.url}/v1/files/dir/a%20b`, { redirect: 'manual' })).status).toBe(200);
  });

  it('is 404 for an unknown name and 503 when no holder is up', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ placement });
    const missing = await fetch(`${api.url}/v1/files/none?redirect=1`, { redirect: 'manual' });
    expect(missing.status).toBe(404);
    expect((await errorOf(missing)).code).toBe('NOT_FOUND');
    await fetch(`${api.url}/v1/files/orphan?w=1`, { method: 'PUT', body: 'x' });
    placement.holders = [];
    const down = await fetch(`${api.url}/v1/files/orphan?redirect=1`, { redirect: 'manual' });
    expect(down.status).toBe(503);
    expect((await errorOf(down)).code).toBe('UNAVAILABLE');
  });
});

describe('POST /v1/nodes/<id>/drain and /remove', () => {
  it('answer 200 with the row, and 404 UNKNOWN_NODE for an id nobody knows', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ placement });
    const drain = await fetch(`${api.url}/v1/nodes/node-b/drain`, { method: 'POST' });
    expect(drain.status).toBe(200);
    expect(await drain.json()).toMatchObject({ id: 'node-b', status: 'draining' });
    const remove = await fetch(`${api.url}/v1/nodes/node-b/remove`, { method: 'POST' });
    expect(remove.status).toBe(200);
    expect(await remove.json()).toMatchObject({ id: 'node-b', status: 'removed' });
    expect(placement.actions).toEqual(['draining node-b', 'removed node-b']);
    const unknown = await fetch(`${api.url}/v1/nodes/nobody/drain`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('UNKNOWN_NODE');
  });

  it('take only POST, and an unknown action is no endpoint', async () => {
    api = await startTestApi({ placement: new FakePlacement() });
    const get = await fetch(`${api.url}/v1/nodes/node-b/drain`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const other = await fetch(`${api.url}/v1/nodes/node-b/explode`, { method: 'POST' });
    expect(other.status).toBe(404);
    expect((await errorOf(other)).code).toBe('NOT_FOUND');
  });

  it('need the API token like every other write', async () => {
    const placement = new FakePlacement();
    api = await startTestApi({ apiToken: 'secret', placement });
    const refused = await fetch(`${api.url}/v1/nodes/node-b/remove`, { method: 'POST' });
    expect(refused.status).toBe(401);
    expect(placement.actions).toEqual([]);
    const allowed = await fetch(`${api.url}/v1/nodes/node-b/remove`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret' },
    });
    expect(allowed.status).toBe(200);
    expect(placement.actions).toEqual(['removed node-b']);
  });
});

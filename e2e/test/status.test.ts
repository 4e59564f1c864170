/**
 * `GET /v1/status` against three real node processes: every member listed with the stats it
 * reports about itself, a stopped member listed without stats (and the call still answering), and
 * the byte and file counters moving with an upload.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cluster, eventually, type NodeProcess } from '../src/node-process.js';
import { fileUrl, json, members } from '../src/http.js';

const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
afterAll(() => cluster.close());

interface NodeStats {
  files: number;
  bytes: number;
  diskFree: number;
  diskTotal: number;
  transfersIn: number;
  transfersOut: number;
  backlog: number;
  bytesIn: number;
  bytesOut: number;
  uptime: number;
}
interface StatusView {
  self: string;
  replicas: number;
  at: number;
  members: {
    id: string;
    addr: string;
    state: string;
    api?: string;
    stats: NodeStats | null;
    error?: string;
  }[];
}

async function status(node: NodeProcess): Promise<StatusView> {
  const res = await fetch(`${node.url}/v1/status`);
  expect(res.status).toBe(200);
  return json<StatusView>(res);
}

async function startThree(): Promise<NodeProcess[]> {
  const a = await cluster.start();
  const b = await cluster.start({ peers: [a.address] });
  const c = await cluster.start({ peers: [a.address] });
  const nodes = [a, b, c];
  for (const observer of nodes) {
    await eventually(
      async () => {
        const view = await members(observer.url);
        return view.filter((m) => m.state === 'alive').length === 3 ? true : undefined;
      },
      { what: `${observer.address} sees three alive members`, timeoutMs: 20_000 },
    );
  }
  return nodes;
}

describe('GET /v1/status', () => {
  it('lists every member with its own stats; a stopped member is listed without them', async () => {
    const [a, b, c] = await startThree();
    const body = randomBytes(300_000);
    const put = await fetch(fileUrl(a!.url, 'status/one', '?w=3&timeout=15s'), {
      method: 'PUT',
      body,
    });
    expect(put.status).toBe(201);

    // Asked through b: every member answers for itself, each holding the one file.
    const view = await eventually(
      async () => {
        const seen = await status(b!);
        const held = seen.members.every((m) => m.stats?.files === 1);
        return seen.members.length === 3 && held ? seen : undefined;
      },
      { what: 'every member reports the file', timeoutMs: 20_000 },
    );
    expect(view.self).toBe(b!.id);
    expect(view.replicas).toBe(3);
    expect(new Set(view.members.map((m) => m.id))).toEqual(new Set([a!.id, b!.id, c!.id]));
    for (const member of view.members) {
      const stats = member.stats!;
      expect(member.state).toBe('alive');
      expect(member.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(stats.bytes).toBe(body.length);
      expect(stats.diskTotal).toBeGreaterThan(0);
      expect(stats.diskFree).toBeLessThanOrEqual(stats.diskTotal);
      expect(stats.uptime).toBeGreaterThan(0);
      // Every node received the body: the origin over HTTP, the others over the peer protocol.
      expect(stats.bytesIn).toBeGreaterThanOrEqual(body.length);
    }
    // HEAD names the holders: all three, the answering node first.
    const head = await fetch(fileUrl(b!.url, 'status/one'), { method: 'HEAD' });
    const holderIds = head.headers.get('x-dfs-holder-ids')?.split(',') ?? [];
    expect(holderIds[0]).toBe(b!.id);
    expect(new Set(holderIds)).toEqual(new Set([a!.id, b!.id, c!.id]));
    const origin = view.members.find((m) => m.id === a!.id)!;
    expect(origin.stats!.bytesOut).toBeGreaterThanOrEqual(body.length);

    // A stopped process holds its connections open and answers nothing: the call still answers,
    // with c listed and no stats (timeout while it is still thought alive, dead once detected).
    c!.kill('SIGSTOP');
    try {
      const without = await status(a!);
      const stopped = without.members.find((m) => m.id === c!.id);
      expect(stopped?.stats).toBeNull();
      expect(['timeout', 'dead']).toContain(stopped?.error);
      for (const id of [a!.id, b!.id]) {
        expect(without.members.find((m) => m.id === id)?.stats?.files).toBe(1);
      }
    } finally {
      c!.kill('SIGCONT');
    }
  });
});

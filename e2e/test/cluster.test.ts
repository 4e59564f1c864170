/**
 * Guarantees 2, 3, 4, 5 and 8 black-box: three real node processes on 127.0.0.1, driven only
 * through HTTP and signals, waiting on polled HTTP conditions with deadlines.
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cluster, eventually, stderrTail, type NodeProcess } from '../src/node-process.js';
import { fileUrl, listNames, members, putFile, sha256 } from '../src/http.js';

const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
afterAll(() => cluster.close());

/** Resolves once `observer` sees `subject` in `state` (and, if given, `incarnation` or higher). */
function memberState(
  observer: NodeProcess,
  subject: NodeProcess,
  state: string,
  minIncarnation = 0,
): Promise<true> {
  let seen = 'nothing yet';
  return eventually(
    async () => {
      const view = await members(observer.url);
      seen = view.map((x) => `${x.addr} ${x.state} @${x.incarnation}`).join(', ');
      const m = view.find((x) => x.id === subject.id);
      return m?.state === state && m.incarnation >= minIncarnation ? true : undefined;
    },
    {
      what: `${observer.address} sees ${subject.address} ${state}`,
      timeoutMs: 20_000,
      describe: () => `its view: ${seen}\nsubject's log:\n${stderrTail(subject, 15)}`,
    },
  );
}

async function startThree(flags: string[] = []): Promise<[NodeProcess, NodeProcess, NodeProcess]> {
  const a = await cluster.start({ flags });
  const b = await cluster.start({ peers: [a.address], flags });
  const c = await cluster.start({ peers: [a.address], flags });
  for (const observer of [a, b, c]) {
    for (const subject of [a, b, c])
      if (observer !== subject) await memberState(observer, subject, 'alive');
  }
  return [a, b, c];
}

async function bodyOf(node: NodeProcess, name: string): Promise<Buffer | undefined> {
  const res = await fetch(fileUrl(node.url, name));
  return res.status === 200 ? Buffer.from(await res.arrayBuffer()) : undefined;
}

describe('a three-node cluster', () => {
  it('spreads puts and deletes; a node that was down converges, and a deleted file does not return', async () => {
    const [a, b, c] = await startThree();
    const early = randomBytes(20_000);
    expect((await putFile(a.url, 'early', early)).status).toBe(201);
    expect((await putFile(a.url, 'doomed', 'soon gone')).status).toBe(201);
    // ?w=3 waits until all three hold it.
    expect(
      (
        await fetch(fileUrl(a.url, 'doomed', '?w=3&timeout=15s'), {
          method: 'PUT',
          body: 'soon gone',
        })
      ).status,
    ).toBe(201);
    for (const node of [b, c]) {
      await eventually(
        async () => ((await bodyOf(node, 'early'))?.equals(early) ? true : undefined),
        {
          what: `early on ${node.address}`,
        },
      );
    }

    c.kill('SIGKILL');
    await c.exited;
    const written = new Map<string, Buffer>();
    for (let i = 0; i < 10; i++) {
      const body = randomBytes(500 + i * 3000);
      written.set(`while-down/${i}`, body);
      expect((await putFile(i % 2 ? a.url : b.url, `while-down/${i}`, body)).status).toBe(201);
    }
    expect((await fetch(fileUrl(b.url, 'doomed'), { method: 'DELETE' })).status).toBe(204);
    await eventually(
      async () => ((await fetch(fileUrl(a.url, 'doomed'))).status === 404 ? true : undefined),
      {
        what: 'delete reached a',
      },
    );

    const back = await cluster.restart(c);
    const expected = await listNames(a.url);
    expect(expected.has('doomed')).toBe(false);
    expect(expected.size).toBe(11);
    await eventually(
      async () => {
        const [onB, onC] = await Promise.all([listNames(b.url), listNames(back.url)]);
        const same = (m: Map<string, string>): boolean =>
          m.size === expected.size && [...expected].every(([n, h]) => m.get(n) === h);
        return same(onB) && same(onC) ? true : undefined;
      },
      { what: 'all three list the same names and hashes', timeoutMs: 30_000 },
    );
    // Every node serves every file, and the returning node did not resurrect the deleted one.
    for (const node of [a, b, back]) {
      for (const [name, body] of written)
        expect(sha256((await bodyOf(node, name)) ?? '')).toBe(sha256(body));
      expect((await fetch(fileUrl(node.url, 'doomed'))).status).toBe(404);
    }
  });

  it('the newest write wins everywhere (last writer by hybrid logical clock)', async () => {
    const [a, b, c] = await startThree();
    expect((await putFile(a.url, 'contested', 'first')).status).toBe(201);
    expect((await putFile(b.url, 'contested', 'second')).status).toBe(201);
    expect((await putFile(c.url, 'contested', 'third')).status).toBe(201);
    for (const node of [a, b, c]) {
      await eventually(
        async () => ((await bodyOf(node, 'contested'))?.toString() === 'third' ? true : undefined),
        {
          what: `newest write on ${node.address}`,
        },
      );
    }
  });

  it('a corrupt copy is never served and is repaired from a healthy peer', async () => {
    const [a, b] = await startThree();
    const body = randomBytes(64 * 1024);
    expect(
      (await fetch(fileUrl(a.url, 'fragile', '?w=3&timeout=15s'), { method: 'PUT', body })).status,
    ).toBe(201);
    // Flip bytes in b's stored copy, found by content.
    const storeDir = path.join(b.spec.dataDir, 'store');
    const entries = await readdir(storeDir, { recursive: true, withFileTypes: true });
    let corrupted = 0;
    for (const entry of entries.filter((e) => e.isFile())) {
      const file = path.join(entry.parentPath, entry.name);
      const data = await readFile(file);
      const at = data.indexOf(body.subarray(0, 64));
      if (at >= 0) {
        data[at + 1000] = (data[at + 1000] ?? 0) ^ 0xff;
        await writeFile(file, data);
        corrupted++;
      }
    }
    expect(corrupted).toBe(1);
    // b either repairs before answering or cuts the transfer short; it never returns wrong bytes.
    let wrongBodies = 0;
    await eventually(
      async () => {
        const got = await bodyOf(b, 'fragile').catch(() => undefined);
        if (got !== undefined && !got.equals(body)) wrongBodies++;
        return got?.equals(body) ? true : undefined;
      },
      { what: 'repaired copy served by b', timeoutMs: 20_000 },
    );
    expect(wrongBodies).toBe(0);
  });
});

describe('membership', () => {
  it('a restarted node catches up as it rejoins, not at the next anti-entropy round', async () => {
    // With anti-entropy an hour apart, only the sync a node runs right after joining can tell the
    // returning node about the delete it missed while it was down.
    const [a, b, c] = await startThree(['--anti-entropy-interval', '1h']);
    const put = await fetch(fileUrl(a.url, 'stale', '?w=3'), { method: 'PUT', body: 'old news' });
    expect(put.status).toBe(201);
    await eventually(async () => ((await bodyOf(c, 'stale')) ? true : undefined), {
      what: 'stale reached c',
    });
    c.kill('SIGKILL');
    await c.exited;
    expect((await fetch(fileUrl(b.url, 'stale'), { method: 'DELETE' })).status).toBe(204);
    const back = await cluster.restart(c);
    await eventually(
      async () => ((await fetch(fileUrl(back.url, 'stale'))).status === 404 ? true : undefined),
      { what: 'the restarted node learned of the delete', timeoutMs: 10_000 },
    );
    expect((await fetch(fileUrl(a.url, 'stale'))).status).toBe(404);
  });

  it('SIGTERM exits 0 and peers mark the node left', async () => {
    const [a, b, c] = await startThree();
    c.kill('SIGTERM');
    expect(await c.exited).toEqual({ code: 0, signal: null });
    await memberState(a, c, 'left');
    await memberState(b, c, 'left');
  });

  it('kill -9 is marked dead by all; a restart rejoins alive with a higher incarnation', async () => {
    const [a, b, c] = await startThree();
    const before = (await members(a.url)).find((m) => m.id === c.id)?.incarnation ?? 0;
    c.kill('SIGKILL');
    await c.exited;
    await memberState(a, c, 'dead');
    await memberState(b, c, 'dead');
    const back = await cluster.restart(c);
    expect(back.id).toBe(c.id);
    await memberState(a, back, 'alive', before + 1);
    await memberState(b, back, 'alive', before + 1);
  });

  it('a node with the wrong secret never joins', async () => {
    const secret = { DFS_CLUSTER_SECRET: 'right-secret' };
    const a = await cluster.start({ env: secret });
    const b = await cluster.start({ env: secret, peers: [a.address] });
    await memberState(a, b, 'alive');
    const intruder = await cluster.start({
      env: { DFS_CLUSTER_SECRET: 'wrong-secret' },
      peers: [a.address],
      flags: ['--log-level', 'warn'],
    });
    // Wait for a's refusal in its log: after that, the intruder must be in nobody's view.
    await eventually(async () => (/refused/i.test(a.stderr) ? true : undefined), {
      what: 'a logs the refused peer',
    });
    for (const node of [a, b]) {
      expect((await members(node.url)).map((m) => m.id)).not.toContain(intruder.id);
    }
    expect((await members(intruder.url)).map((m) => m.id)).toEqual([intruder.id]);
  });
});

import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClient, DfsClientError } from '../src/index.js';
import { startFakeDfsServer, type FakeDfsServer } from '../src/testing/index.js';
import { closedPort, recordingSleep } from './helpers.js';

let server: FakeDfsServer;
let deadNode: string;

beforeEach(async () => {
  server = await startFakeDfsServer();
  deadNode = `127.0.0.1:${await closedPort()}`;
});

afterEach(async () => {
  await server.close();
});

/** A server that answers the first `count` requests with `status`, then behaves. */
async function flaky(count: number, status: number): Promise<FakeDfsServer> {
  let left = count;
  return startFakeDfsServer({
    intercept: (_req, res) => {
      if (left <= 0) return false;
      left -= 1;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'busy' } }));
      return true;
    },
  });
}

describe('a choice of nodes', () => {
  it('tries the next node when one is unreachable, and sticks to the one that answered', async () => {
    const { sleep, delays } = recordingSleep();
    const client = createClient({ nodes: [deadNode, server.address], sleep });
    await client.put('a', 'x');
    expect(await client.getBuffer('a')).toEqual(Buffer.from('x'));
    expect(delays).toEqual([]);
    expect(server.requests).toHaveLength(2);
  });

  it('fails over even for a stream body, since nothing was sent to the dead node', async () => {
    const client = createClient({ nodes: `${deadNode},${server.address}` });
    await client.put('s', Readable.from([Buffer.from('streamed')]));
    expect(server.files.get('s')?.body.toString()).toBe('streamed');
  });

  it('reports ERR_UNREACHABLE naming every node tried when none answers', async () => {
    const other = `127.0.0.1:${await closedPort()}`;
    const { sleep, delays } = recordingSleep();
    const client = createClient({ nodes: [deadNode, other], retries: 2, sleep, random: () => 0 });
    const error = await client.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DfsClientError);
    expect(error).toMatchObject({ code: 'ERR_UNREACHABLE', status: undefined });
    expect((error as DfsClientError).message).toContain(deadNode);
    expect((error as DfsClientError).nodesTried).toEqual([`http://${deadNode}`, `http://${other}`]);
    // Two rounds of backoff after the first: 100 ms then 200 ms ceilings, at least half of each.
    expect(delays).toEqual([50, 100]);
  });

  it('reports a host that does not resolve as unreachable', async () => {
    const client = createClient({ nodes: 'no-such-host.invalid:4001', retries: 0 });
    await expect(client.health()).rejects.toMatchObject({ code: 'ERR_UNREACHABLE' });
  });
});

describe('retries', () => {
  it('retries an idempotent call after a 503 with backoff, then succeeds', async () => {
    const busy = await flaky(2, 503);
    try {
      const { sleep, delays } = recordingSleep();
      const client = createClient({ nodes: busy.address, retries: 3, sleep, random: () => 1 });
      const page = await client.list();
      expect(page.files).toEqual([]);
      expect(delays).toEqual([100, 200]);
    } finally {
      await busy.close();
    }
  });

  it('gives up after the configured retries with the server error', async () => {
    const busy = await flaky(10, 503);
    try {
      const { sleep, delays } = recordingSleep();
      const client = createClient({ nodes: busy.address, retries: 1, sleep });
      await expect(client.cluster()).rejects.toMatchObject({
        code: 'ERR_UNAVAILABLE',
        status: 503,
        message: 'busy',
      });
      expect(delays).toHaveLength(1);
      expect(busy.requests).toHaveLength(2);
    } finally {
      await busy.close();
    }
  });

  it('caps the backoff at maxRetryDelayMs', async () => {
    const busy = await flaky(10, 503);
    try {
      const { sleep, delays } = recordingSleep();
      const client = createClient({
        nodes: busy.address,
        retries: 5,
        retryDelayMs: 100,
        maxRetryDelayMs: 300,
        sleep,
        random: () => 1,
      });
      await expect(client.list()).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
      expect(delays).toEqual([100, 200, 300, 300, 300]);
    } finally {
      await busy.close();
    }
  });

  it('never repeats a PUT or DELETE the node may have applied', async () => {
    const busy = await flaky(10, 503);
    try {
      const { sleep, delays } = recordingSleep();
      const client = createClient({ nodes: busy.address, retries: 3, sleep });
      await expect(client.put('a', 'x')).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
      await expect(client.delete('a')).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
      expect(busy.requests).toHaveLength(2);
      expect(delays).toEqual([]);
    } finally {
      await busy.close();
    }
  });

  it('retries a GET whose connection broke, and reports a broken PUT as ERR_NETWORK', async () => {
    let broken = 0;
    const cutting = await startFakeDfsServer({
      intercept: (req, res) => {
        if (broken >= 1 && req.method === 'GET') return false;
        broken += 1;
        res.socket?.destroy();
        return true;
      },
    });
    try {
      const { sleep } = recordingSleep();
      const client = createClient({ nodes: cutting.address, retries: 2, sleep });
      expect((await client.list()).files).toEqual([]);
      await expect(client.put('p', 'x')).rejects.toMatchObject({ code: 'ERR_NETWORK' });
    } finally {
      await cutting.close();
    }
  });

  it('stops retrying when the signal fires during a backoff', async () => {
    const busy = await flaky(10, 503);
    try {
      const controller = new AbortController();
      const client = createClient({
        nodes: busy.address,
        retries: 5,
        sleep: async () => {
          controller.abort();
          throw new Error('aborted');
        },
      });
      await expect(client.list({ signal: controller.signal })).rejects.toMatchObject({
        code: 'ERR_ABORTED',
      });
    } finally {
      await busy.close();
    }
  });
});

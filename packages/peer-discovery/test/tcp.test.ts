import { TcpTransport } from '@dfs/transport';
import { afterEach, describe, expect, it } from 'vitest';
import { createMembership, type Membership } from '../src/index.js';

/** Real sockets on 127.0.0.1 and the real clock, with short protocol timings. */
const CONFIG = {
  probeIntervalMs: 50,
  probeTimeoutMs: 20,
  gossipIntervalMs: 10,
  reconnectIntervalMs: 200,
  joinRequestTimeoutMs: 500,
  joinBackoffMs: 20,
  leaveTimeoutMs: 500,
};

interface RealNode {
  transport: TcpTransport;
  membership: Membership;
}

const started: RealNode[] = [];

afterEach(async () => {
  for (const node of started.splice(0)) {
    await node.membership.stop();
    await node.transport.close();
  }
});

async function startNode(id: string, seeds: string[]): Promise<RealNode> {
  const transport = new TcpTransport({ id, host: '127.0.0.1', port: 0, secret: 'test-secret' });
  await transport.listen();
  const membership = createMembership({ transport, seeds, config: CONFIG });
  const node = { transport, membership };
  started.push(node);
  await membership.start();
  return node;
}

/** Polls `condition` until it holds; fails after `timeoutMs` (no fixed sleeps). */
async function waitFor(condition: () => boolean, timeoutMs = 25_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('over real TCP on 127.0.0.1', () => {
  // Real time on a shared machine: a generous test timeout, while every wait polls a condition
  // (the join once took over 10 s at load ~8 with three other node processes running).
  it(
    'nodes join, a crashed node is marked dead and a leaving one left',
    { timeout: 90_000 },
    async () => {
      const a = await startNode('tcp-a', []);
      const b = await startNode('tcp-b', [a.transport.address]);
      const c = await startNode('tcp-c', [a.transport.address]);
      const d = await startNode('tcp-d', [b.transport.address]);
      const all = [a, b, c, d];
      await waitFor(() => all.every((n) => n.membership.liveMembers().length === 3));

      // Crash c: its protocol stops and its sockets close without a goodbye.
      await c.membership.stop();
      await c.transport.close();
      await waitFor(() => [a, b, d].every((n) => n.membership.member('tcp-c')?.state === 'dead'));

      await d.membership.leave();
      await waitFor(() => [a, b].every((n) => n.membership.member('tcp-d')?.state === 'left'));
      expect(a.membership.liveMembers().map((m) => m.id)).toEqual(['tcp-b']);
    },
  );
});

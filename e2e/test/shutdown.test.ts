/**
 * docs/operations.md (Signals): SIGINT/SIGTERM exits 0 within 5 s. The node's forced exit (at 4.5 s) is only a backstop, so
 * these tests check the path each node reports in its last log line: `graceful`, with no shutdown
 * step abandoned at its deadline, and never `forced`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Cluster, eventually, stderrTail, type NodeProcess } from '../src/node-process.js';
import { members } from '../src/http.js';

const cluster = new Cluster();
afterEach(() => cluster.stopNodes());
afterAll(() => cluster.close());

/** Info level, so the shutdown steps and the final `stopped` line are logged. */
const LOG_INFO = ['--log-level', 'info'];

interface StopLine {
  path?: string;
  ms?: number;
  overran?: string[];
}

/** The node's last word on how it stopped: the `stopped` or forced-exit log line. */
function stopLine(node: NodeProcess): StopLine | undefined {
  for (const line of node.stderr.split('\n').reverse()) {
    if (!line.includes('"path":')) continue;
    return JSON.parse(line) as StopLine;
  }
  return undefined;
}

async function startThree(): Promise<NodeProcess[]> {
  const a = await cluster.start({ flags: LOG_INFO });
  const b = await cluster.start({ peers: [a.address], flags: LOG_INFO });
  const c = await cluster.start({ peers: [a.address], flags: LOG_INFO });
  const nodes = [a, b, c];
  for (const observer of nodes) {
    await eventually(
      async () => {
        const alive = (await members(observer.url)).filter((m) => m.state === 'alive');
        return alive.length === nodes.length ? true : undefined;
      },
      { what: `${observer.address} sees all three alive` },
    );
  }
  return nodes;
}

async function expectGracefulExit(node: NodeProcess): Promise<void> {
  expect(await node.exited, stderrTail(node)).toEqual({ code: 0, signal: null });
  const line = stopLine(node);
  expect(line?.path, stderrTail(node)).toBe('graceful');
  expect(line?.overran, stderrTail(node)).toEqual([]);
}

describe('shutdown', () => {
  it('three nodes sent SIGTERM at the same moment all exit 0 on the graceful path', async () => {
    const nodes = await startThree();
    for (const node of nodes) node.kill('SIGTERM');
    for (const node of nodes) await expectGracefulExit(node);
  });

  it('a peer that hangs (SIGSTOP) does not hold up the others: graceful, and it is marked left', async () => {
    const [a, b, c] = (await startThree()) as [NodeProcess, NodeProcess, NodeProcess];
    c.kill('SIGSTOP');
    try {
      b.kill('SIGTERM');
      await expectGracefulExit(b);
      // b's leave notice reached a even though c never acknowledged it.
      await eventually(
        async () =>
          (await members(a.url)).find((m) => m.id === b.id)?.state === 'left' ? true : undefined,
        { what: `${a.address} sees ${b.address} left` },
      );
      a.kill('SIGTERM');
      await expectGracefulExit(a);
    } finally {
      c.kill('SIGCONT');
    }
  });

  it('SIGTERM while the node is still starting closes it gracefully and releases the data lock', async () => {
    const node = await cluster.start({ flags: LOG_INFO, waitReady: false });
    const lock = path.join(node.spec.dataDir, 'node.lock');
    // The lock is taken inside startup, after the signal handlers are installed.
    await eventually(async () => (existsSync(lock) ? true : undefined), {
      what: 'the node took its data lock',
      intervalMs: 1,
    });
    node.kill('SIGTERM');
    await expectGracefulExit(node);
    expect(existsSync(lock)).toBe(false);
  });

  it('SIGINT during the join of a node whose seed does not answer still exits gracefully', async () => {
    // 127.0.0.1:9 (discard) is closed: the join keeps retrying with backoff until stopped.
    const lonely = await cluster.start({ peers: ['127.0.0.1:9'], flags: LOG_INFO });
    lonely.kill('SIGINT');
    await expectGracefulExit(lonely);
  });
});

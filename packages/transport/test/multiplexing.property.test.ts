import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcpTransport, type Transport } from '../src/index.js';
import { collect } from './compliance/suite.js';
import { memoryHarness } from './compliance/memory-harness.js';
import type { ComplianceHarness } from './compliance/harness.js';
import { tcpHarness } from './compliance/tcp-harness.js';

type Operation =
  | { kind: 'request'; value: string }
  | { kind: 'stream'; chunks: number[]; seed: number }
  | { kind: 'send'; value: string };

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('request' as const), value: fc.string({ maxLength: 50 }) }),
  fc.record({
    kind: fc.constant('stream' as const),
    chunks: fc.array(fc.integer({ min: 1, max: 40_000 }), { maxLength: 6 }),
    seed: fc.nat(255),
  }),
  fc.record({ kind: fc.constant('send' as const), value: fc.string({ maxLength: 50 }) }),
);

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function serve(b: Transport, sends: string[]): void {
  b.handle('tag', (message) => ({ echoed: message }));
  b.handle('note', (message) => void sends.push(message as string));
  b.handleStream('hash', async (stream, header) => {
    const body = await collect(stream);
    stream.end(JSON.stringify({ header, sha: digest(body), size: body.length }));
  });
}

async function runInterleaved(
  harness: ComplianceHarness,
  a: Transport,
  b: Transport,
  sends: string[],
  ops: Operation[],
) {
  sends.length = 0;
  const runs = ops.map(async (op, i) => {
    if (op.kind === 'request') {
      expect(await a.request(b.address, 'tag', { i, v: op.value })).toEqual({
        echoed: { i, v: op.value },
      });
    } else if (op.kind === 'send') {
      await a.send(b.address, 'note', `${i}:${op.value}`);
    } else {
      const body = Buffer.concat(op.chunks.map((n, j) => Buffer.alloc(n, (op.seed + j) & 0xff)));
      const stream = await a.openStream(b.address, 'hash', { i });
      const reply = collect(stream);
      for (const [j, n] of op.chunks.entries()) stream.write(Buffer.alloc(n, (op.seed + j) & 0xff));
      stream.end();
      expect(JSON.parse((await reply).toString())).toEqual({
        header: { i },
        sha: digest(body),
        size: body.length,
      });
    }
  });
  await harness.drive(Promise.all(runs));
  const expectedSends = ops.flatMap((op, i) => (op.kind === 'send' ? [`${i}:${op.value}`] : []));
  await harness.until(() => sends.length === expectedSends.length);
  expect(sends.sort()).toEqual(expectedSends.sort());
}

for (const [name, makeHarness] of [
  ['TcpTransport', () => tcpHarness()],
  ['MemoryTransport', () => memoryHarness()],
] as const) {
  describe(`${name} multiplexing`, () => {
    let harness: ComplianceHarness;
    let a: Transport;
    let b: Transport;
    const sends: string[] = [];
    beforeAll(async () => {
      harness = makeHarness();
      a = await harness.create('a');
      b = await harness.create('b');
      serve(b, sends);
    });
    afterAll(() => harness.cleanup());

    it('delivers every request, message and stream of any interleaving to its own owner', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(operationArb, { minLength: 1, maxLength: 12 }), (ops) =>
          runInterleaved(harness, a, b, sends, ops),
        ),
        { numRuns: 30 },
      );
      if (a instanceof TcpTransport) expect(a.stats().openConnections).toBe(1);
    });
  });
}

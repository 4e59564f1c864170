import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetransmitQueue } from '../src/index.js';
import { OracleBroadcastQueue, OracleRetransmitQueue } from './retransmit-oracles.js';

const key = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { nil: undefined });

const rumorOp = fc.oneof(
  fc.record({ op: fc.constant('push' as const), key, bytes: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant('take' as const), maxBytes: fc.integer({ min: 0, max: 120 }) }),
  // Many replacements in a row leave stale slots behind: enough of them make the queue sweep.
  fc.record({
    op: fc.constant('burst' as const),
    key: fc.constantFrom('a', 'b'),
    times: fc.integer({ min: 1, max: 80 }),
  }),
);

const memberKey = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const memberOp = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('enqueue' as const), key: memberKey }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('amend' as const), key: memberKey }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('countAsSent' as const),
      key: memberKey,
      parity: fc.integer({ min: 0, max: 1 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), key: memberKey }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('burst' as const),
      key: memberKey,
      times: fc.integer({ min: 1, max: 80 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('take' as const),
      max: fc.integer({ min: 1, max: 6 }),
      limit: fc.integer({ min: 1, max: 5 }),
    }),
  },
);

describe('the shared retransmit queue behaves exactly like the queues it replaced (model)', () => {
  it('newest-first with a byte budget and a bound: the rumor monger’s queue', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(rumorOp, { maxLength: 120 }),
        (maxItems, limit, ops) => {
          const queue = new RetransmitQueue<number>(maxItems);
          const oracle = new OracleRetransmitQueue<number>(maxItems);
          ops.forEach((step, value) => {
            if (step.op === 'push') {
              queue.push({ value, bytes: step.bytes, key: step.key });
              oracle.push({ value, bytes: step.bytes, key: step.key });
            } else if (step.op === 'burst') {
              for (let i = 0; i < step.times; i++) {
                queue.push({ value: value * 100 + i, bytes: 5, key: step.key });
                oracle.push({ value: value * 100 + i, bytes: 5, key: step.key });
              }
            } else {
              expect(queue.take(step.maxBytes, limit)).toEqual(oracle.take(step.maxBytes, limit));
            }
            expect(queue.length).toBe(oracle.length);
            expect(queue.snapshot()).toEqual(oracle.snapshot());
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('oldest-first with a count budget, amend and countAsSent: the membership queue', () => {
    fc.assert(
      fc.property(fc.array(memberOp, { maxLength: 150 }), (ops) => {
        const queue = new RetransmitQueue<number>({ order: 'oldest-first' });
        const oracle = new OracleBroadcastQueue<number>();
        ops.forEach((step, value) => {
          switch (step.op) {
            case 'enqueue':
              queue.push({ key: step.key, value, bytes: 0 });
              oracle.enqueue(step.key, value);
              break;
            case 'amend':
              queue.amend({ key: step.key, value, bytes: 0 });
              oracle.amend(step.key, value);
              break;
            case 'countAsSent': {
              const same = (v: number) => v % 2 === step.parity;
              queue.countAsSent(step.key, same, 3);
              oracle.countAsSent(step.key, same, 3);
              break;
            }
            case 'drop':
              queue.drop(step.key);
              oracle.drop(step.key);
              break;
            case 'burst':
              for (let i = 0; i < step.times; i++) {
                queue.push({ key: step.key, value: value * 100 + i, bytes: 0 });
                oracle.enqueue(step.key, value * 100 + i);
              }
              break;
            case 'take':
              expect(queue.take(Number.POSITIVE_INFINITY, step.limit, step.max)).toEqual(
                oracle.take(step.max, step.limit),
              );
          }
          expect(queue.length).toBe(oracle.size);
        });
      }),
      { numRuns: 300 },
    );
  });
});

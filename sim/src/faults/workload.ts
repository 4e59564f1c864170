/**
 * The seeded client workload: small random puts, deletes and reads (whole or ranged) of a small
 * pool of names — few names, so writes collide — issued to random nodes without waiting for each
 * other. Every draw comes from the workload's own random stream, in the same order whatever the
 * faults do, so switching a fault class off leaves the workload unchanged.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Random } from '@dfs/transport';
import { randomInt } from '@dfs/transport';
import type { History, OpKind } from './history.js';
import type { SimNode } from './sim-node.js';

export const WORKLOAD_NAMES = ['a', 'b', 'c', 'd', 'docs/e', 'docs/f', 'g', 'h'] as const;

export interface PlannedOp {
  kind: OpKind;
  name: string;
  /** Which node to ask: the first up node from this index on. */
  nodePick: number;
  body: Buffer;
  range: { start: number; end: number } | undefined;
}

export function planOp(random: Random): PlannedOp {
  const roll = random.next();
  const kind: OpKind = roll < 0.5 ? 'put' : roll < 0.65 ? 'delete' : 'read';
  const name = WORKLOAD_NAMES[randomInt(random, WORKLOAD_NAMES.length)] as string;
  const nodePick = randomInt(random, 1 << 16);
  const body = Buffer.alloc(randomInt(random, 49));
  for (let i = 0; i < body.length; i++) body[i] = randomInt(random, 256);
  const ranged = random.next() < 0.25;
  const start = randomInt(random, 8);
  const range = ranged ? { start, end: start + randomInt(random, 8) } : undefined;
  return { kind, name, nodePick, body, range };
}

const sha256Of = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

const codeOf = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : error instanceof Error
      ? `${error.name}: ${error.message}`
      : String(error);

/** Starts `plan` on the first up node from its pick; the returned promise settles with the op. */
export function issueOp(
  plan: PlannedOp,
  nodes: readonly SimNode[],
  history: History,
  onAcknowledged: (node: SimNode) => void,
): Promise<void> {
  let node: SimNode | undefined;
  for (let i = 0; i < nodes.length && node === undefined; i++) {
    const candidate = nodes[(plan.nodePick + i) % nodes.length] as SimNode;
    if (candidate.engine !== undefined) node = candidate;
  }
  const engine = node?.engine;
  const life = node?.life;
  if (node === undefined || engine === undefined || life === undefined) {
    history.note(`skip ${plan.kind} ${plan.name}: no node is up`);
    return Promise.resolve();
  }
  const nodeId = node.id;
  const target = node;
  const fail = (op: Parameters<History['settle']>[0]) => (error: unknown) =>
    history.settle(op, 'failed', { code: codeOf(error) });
  switch (plan.kind) {
    case 'put': {
      const op = history.begin({
        kind: 'put',
        node: nodeId,
        name: plan.name,
        life,
        sha256: sha256Of(plan.body),
        body: plan.body,
      });
      return engine.put(plan.name, Readable.from([plan.body])).then((info) => {
        history.settle(op, 'ok', { version: info.version, infoSha256: info.sha256 });
        onAcknowledged(target);
      }, fail(op));
    }
    case 'delete': {
      const op = history.begin({ kind: 'delete', node: nodeId, name: plan.name, life });
      return engine.delete(plan.name).then((deleted) => {
        if (!deleted) {
          history.settle(op, 'noop', {});
          return;
        }
        // The tombstone's version, read back at once; if something newer already replaced it, the
        // checker treats this delete as in doubt rather than guess.
        const now = engine.describe(plan.name);
        const mine = now?.deleted === true && now.version.slice(22) === nodeId;
        history.settle(op, 'ok', mine ? { version: now.version } : {});
        onAcknowledged(target);
      }, fail(op));
    }
    case 'read': {
      const op = history.begin({
        kind: 'read',
        node: nodeId,
        name: plan.name,
        life,
        ...(plan.range === undefined ? {} : { range: plan.range }),
      });
      return engine
        .read(plan.name, plan.range === undefined ? undefined : { range: plan.range })
        .then(async ({ info, stream }) => {
          const chunks: Buffer[] = [];
          for await (const chunk of stream as AsyncIterable<Buffer>)
            chunks.push(Buffer.from(chunk));
          history.settle(op, 'ok', {
            version: info.version,
            infoSha256: info.sha256,
            readSha256: sha256Of(Buffer.concat(chunks)),
          });
        })
        .catch(fail(op));
    }
  }
}

/**
 * Reads the final state of every node for the checker: its index view of every name, its listing,
 * and the outcome of reading every listed name and every deleted one.
 */
import { createHash } from 'node:crypto';
import type { EntryView, FinalState, ReadResult } from './checker.js';
import type { SimNode } from './sim-node.js';

export async function collectFinalState(
  nodes: readonly SimNode[],
  names: readonly string[],
  /** Names not to read (a hostile peer's made-up names, which nobody can serve). */
  unreadable: ReadonlySet<string>,
  drive: <T>(promise: Promise<T>) => Promise<T | undefined>,
  pause: (ms: number) => Promise<void>,
): Promise<FinalState & { failedFirstTry: number }> {
  let failedFirstTry = 0;
  const up = nodes.filter((n) => n.engine !== undefined);
  const views = new Map<string, Map<string, EntryView | undefined>>();
  const lists = new Map<string, string[]>();
  const reads = new Map<string, Map<string, ReadResult>>();
  const notLocal = new Set<string>();
  for (const node of up) {
    const engine = node.engine;
    if (engine === undefined) continue;
    const view = new Map<string, EntryView | undefined>();
    for (const name of names) {
      const d = engine.describe(name);
      view.set(
        name,
        d === undefined
          ? undefined
          : { version: d.version, deleted: d.deleted, sha256: d.sha256, local: d.local },
      );
      if (d !== undefined && !d.deleted && !d.local) notLocal.add(name);
    }
    views.set(node.id, view);
    const listed = await engine.list({ limit: 10_000 });
    lists.set(
      node.id,
      listed.files.map((f) => f.name),
    );
  }
  for (const node of up) {
    const engine = node.engine;
    if (engine === undefined) continue;
    const results = new Map<string, ReadResult>();
    const toRead = new Set([
      ...(lists.get(node.id) ?? []),
      ...[...(views.get(node.id) ?? [])]
        .filter(([, v]) => v?.deleted === true)
        .map(([name]) => name),
    ]);
    for (const name of toRead) {
      if (unreadable.has(name)) continue;
      const read = async (): Promise<ReadResult> => {
        try {
          const { info, stream } = await engine.read(name);
          const hash = createHash('sha256');
          for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
          return { sha256: hash.digest('hex'), version: info.version };
        } catch (error) {
          return { code: String((error as { code?: unknown }).code ?? error) };
        }
      };
      let result = (await drive(read())) ?? { code: 'hung (no answer within 10 s)' };
      if ('code' in result && lists.get(node.id)?.includes(name) === true) {
        // One retry after a pause, as a client would: a copy found damaged by this very read is
        // dropped and pulled again meanwhile. The first failure is counted, not a violation.
        failedFirstTry++;
        await drive(pause(3_000));
        result = (await drive(read())) ?? { code: 'hung (no answer within 10 s)' };
      }
      results.set(name, result);
    }
    reads.set(node.id, results);
  }
  return {
    nodes: up.map((n) => n.id),
    views,
    lists,
    reads,
    notLocal: [...notLocal],
    failedFirstTry,
  };
}

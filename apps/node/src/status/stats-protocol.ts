/**
 * `dfs/stats/1` (docs/protocol.md): one node asks another for its `NodeStats`. The request is an
 * empty object; the answer is `{stats}`, checked against `nodeStatsSchema` (whole numbers within
 * bounds, unknown fields dropped) before the asker uses it.
 *
 * `askMembersForStats` asks many members in parallel under ONE deadline: it resolves once every
 * member answered or failed, or when the deadline passes, whichever is first; members that had not
 * answered by then are `timeout`. So `GET /v1/status` never takes much longer than the deadline,
 * however many members hang.
 */
import { nodeStatsSchema, type NodeStats, type StatusError } from '@dfs/api';
import { isTransportError, type Clock, type Transport } from '@dfs/transport';

export const STATS_PROTOCOL = 'dfs/stats/1';

/** Answer `dfs/stats/1` with this node's stats. Returns the unregister. */
export function serveStats(
  transport: Pick<Transport, 'handle' | 'unhandle'>,
  read: () => Promise<NodeStats>,
): () => void {
  transport.handle(STATS_PROTOCOL, async () => ({ stats: await read() }));
  return () => transport.unhandle(STATS_PROTOCOL);
}

export type StatsAnswer = { stats: NodeStats } | { stats: null; error: StatusError };

export async function askMembersForStats(options: {
  transport: Pick<Transport, 'request'>;
  clock: Clock;
  /** Members to ask, by id and dial address. */
  members: readonly { id: string; addr: string }[];
  deadlineMs: number;
  signal?: AbortSignal;
}): Promise<Map<string, StatsAnswer>> {
  const { transport, clock, members, deadlineMs } = options;
  const answers = new Map<string, StatsAnswer>();
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal;
  let expire: () => void = () => undefined;
  const expired = new Promise<void>((resolve) => (expire = resolve));
  const timer = clock.setTimeout(() => expire(), deadlineMs);
  const asked = members.map(async ({ id, addr }) => {
    answers.set(id, await askOne(transport, addr, deadlineMs, signal));
  });
  try {
    await Promise.race([Promise.all(asked), expired]);
  } finally {
    timer.cancel();
    stop.abort();
  }
  const result = new Map<string, StatsAnswer>();
  for (const { id } of members)
    result.set(id, answers.get(id) ?? { stats: null, error: 'timeout' });
  return result;
}

async function askOne(
  transport: Pick<Transport, 'request'>,
  addr: string,
  deadlineMs: number,
  signal: AbortSignal,
): Promise<StatsAnswer> {
  let reply: unknown;
  try {
    reply = await transport.request(addr, STATS_PROTOCOL, {}, { timeoutMs: deadlineMs, signal });
  } catch (error) {
    const timedOut = isTransportError(error) && error.code === 'ERR_TIMEOUT';
    return { stats: null, error: timedOut || signal.aborted ? 'timeout' : 'unreachable' };
  }
  const stats = typeof reply === 'object' && reply !== null ? Reflect.get(reply, 'stats') : null;
  const parsed = nodeStatsSchema.safeParse(stats);
  return parsed.success ? { stats: parsed.data } : { stats: null, error: 'invalid' };
}

/**
 * `dfs status`: the cluster as a whole, from `GET /v1/status` (every member's own stats) and
 * `GET /v1/cluster` (placement and the replication summary), fetched together: one row per member
 * with its state, placement, files, bytes, free disk, transfers in flight and replication backlog,
 * then one line with R, the under-replicated and surplus counts, and whether the brake holds.
 * `--json` prints the `/v1/status` answer as the node gave it, plus the summary's three counts.
 */
import type { MemberState } from '@dfs/api';
import { DfsClientError, type ClusterView, type MemberStatus, type StatusView } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatBytes, renderTable } from '../format.js';
import { clusterJson } from './cluster.js';

const stateOrder: Record<MemberState, number> = { alive: 0, suspect: 1, left: 2, dead: 3 };

function formatWeight(weight: number | undefined): string {
  if (weight === undefined) return '-';
  return Number.isInteger(weight) ? String(weight) : weight.toFixed(2).replace(/0+$/, '');
}

/** `12 GiB (24%)`: free bytes and their share of the filesystem. */
export function formatFree(free: number, total: number): string {
  if (total <= 0) return formatBytes(free);
  return `${formatBytes(free)} (${Math.round((free / total) * 100)}%)`;
}

/** `3m`, `2h`, `5d`: how long a node has been up. */
export function formatUptime(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** The answering node first, then by SWIM state, address and id. */
function ordered<M extends { id: string; state: MemberState; addr: string }>(
  members: readonly M[],
  self: string,
): M[] {
  return [...members].sort(
    (a, b) =>
      Number(b.id === self) - Number(a.id === self) ||
      stateOrder[a.state] - stateOrder[b.state] ||
      a.addr.localeCompare(b.addr) ||
      a.id.localeCompare(b.id),
  );
}

function summaryLine(view: ClusterView | undefined, replicas: number): string {
  const count = (value: number | undefined): string => (value === undefined ? '?' : String(value));
  const summary = [
    `replicas ${replicas}`,
    `under-replicated ${count(view?.underReplicated)}`,
    `surplus ${count(view?.surplus)}`,
  ];
  if (view?.rebalancePaused === true) summary.push('rebalancing paused');
  return `${summary.join('  ')}\n`;
}

/** One row per member with its stats (`-` and the reason when it did not answer). */
export function formatStatusView(status: StatusView, cluster: ClusterView | undefined): string {
  const table = renderTable(
    [
      '',
      'ID',
      'ADDRESS',
      'STATE',
      'PLACEMENT',
      'WEIGHT',
      'FILES',
      'SIZE',
      'DISK FREE',
      'IN/OUT',
      'BACKLOG',
      'UP',
    ],
    ordered(status.members, status.self).map((member: MemberStatus) => {
      const stats = member.stats;
      const cells = stats
        ? [
            String(stats.files),
            formatBytes(stats.bytes),
            formatFree(stats.diskFree, stats.diskTotal),
            `${stats.transfersIn}/${stats.transfersOut}`,
            String(stats.backlog),
            formatUptime(stats.uptime),
          ]
        : ['-', '-', `(${member.error ?? 'no answer'})`, '-', '-', '-'];
      return [
        member.id === status.self ? '*' : '',
        member.id,
        member.addr === '' ? '-' : member.addr,
        member.state,
        member.placement?.state ?? '-',
        formatWeight(member.placement?.weight),
        ...cells,
      ];
    }),
    [
      'left',
      'left',
      'left',
      'left',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
      'right',
    ],
  );
  return `${table}${summaryLine(cluster, status.replicas)}`;
}

/** The table from `/v1/cluster` alone, for nodes that predate `/v1/status`. */
export function formatStatus(view: ClusterView): string {
  const table = renderTable(
    ['', 'ID', 'ADDRESS', 'STATE', 'PLACEMENT', 'WEIGHT'],
    ordered(view.members, view.self).map((member) => [
      member.id === view.self ? '*' : '',
      member.id,
      member.addr === '' ? '-' : member.addr,
      member.state,
      member.placement?.state ?? '-',
      formatWeight(member.placement?.weight),
    ]),
    ['left', 'left', 'left', 'left', 'left', 'right'],
  );
  return `${table}${summaryLine(view, view.replicas ?? Number.NaN).replace('replicas NaN', 'replicas ?')}`;
}

export async function statusCommand(context: CommandContext): Promise<void> {
  const [status, cluster] = await Promise.allSettled([
    context.client.status(context.abortable),
    context.client.cluster(context.abortable),
  ]);
  if (status.status === 'rejected') {
    const error = status.reason as unknown;
    // A node from before /v1/status: show what /v1/cluster knows.
    if (!(error instanceof DfsClientError && error.code === 'ERR_NOT_FOUND')) throw error;
    if (cluster.status === 'rejected') throw cluster.reason;
    context.out(context.json ? toJson(clusterJson(cluster.value)) : formatStatus(cluster.value));
    context.note('this node has no /v1/status (an older version): no per-node stats');
    return;
  }
  if (context.json) {
    // The /v1/status answer as the node gave it, plus /v1/cluster's replication summary.
    const summary =
      cluster.status === 'fulfilled'
        ? {
            rebalancePaused: cluster.value.rebalancePaused,
            underReplicated: cluster.value.underReplicated,
            surplus: cluster.value.surplus,
          }
        : {};
    context.out(toJson({ ...status.value, ...summary }));
    return;
  }
  context.out(
    formatStatusView(status.value, cluster.status === 'fulfilled' ? cluster.value : undefined),
  );
  context.note('* = the node that answered; stats are what each node reported about itself');
}

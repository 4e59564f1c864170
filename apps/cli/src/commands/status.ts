/**
 * `dfs status`: every member with its SWIM state and its placement (state, weight), then one line
 * with the replication factor, the under-replicated and surplus counts, and whether the brake holds.
 */
import type { MemberState } from '@dfs/api';
import type { ClusterView } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { renderTable } from '../format.js';
import { clusterJson } from './cluster.js';

const stateOrder: Record<MemberState, number> = { alive: 0, suspect: 1, left: 2, dead: 3 };

function formatWeight(weight: number | undefined): string {
  if (weight === undefined) return '-';
  return Number.isInteger(weight) ? String(weight) : weight.toFixed(2).replace(/0+$/, '');
}

export function formatStatus(view: ClusterView): string {
  // The answering node first, then by SWIM state, address and id.
  const members = [...view.members].sort(
    (a, b) =>
      Number(b.id === view.self) - Number(a.id === view.self) ||
      stateOrder[a.state] - stateOrder[b.state] ||
      a.addr.localeCompare(b.addr) ||
      a.id.localeCompare(b.id),
  );
  const table = renderTable(
    ['', 'ID', 'ADDRESS', 'STATE', 'PLACEMENT', 'WEIGHT'],
    members.map((member) => [
      member.id === view.self ? '*' : '',
      member.id,
      member.addr === '' ? '-' : member.addr,
      member.state,
      member.placement?.state ?? '-',
      formatWeight(member.placement?.weight),
    ]),
    ['left', 'left', 'left', 'left', 'left', 'right'],
  );
  const count = (value: number | undefined): string => (value === undefined ? '?' : String(value));
  const summary = [
    `replicas ${count(view.replicas)}`,
    `under-replicated ${count(view.underReplicated)}`,
    `surplus ${count(view.surplus)}`,
  ];
  if (view.rebalancePaused === true) summary.push('rebalancing paused');
  return `${table}${summary.join('  ')}\n`;
}

export async function statusCommand(context: CommandContext): Promise<void> {
  const view = await context.client.cluster(context.abortable);
  if (context.json) {
    context.out(toJson(clusterJson(view)));
    return;
  }
  context.out(formatStatus(view));
  context.note('* = the node that answered; counts are as that node knows them');
}

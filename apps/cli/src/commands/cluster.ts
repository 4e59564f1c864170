/** `dfs members` and `dfs health`: the cluster as the answering node sees it. */
import type { MemberState } from '@dfs/api';
import { displayNode, type ClusterView, type Health } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatAge, renderTable } from '../format.js';
import { CliError } from '../problems.js';

const stateOrder: Record<MemberState, number> = { alive: 0, suspect: 1, left: 2, dead: 3 };

export function formatMembers(view: ClusterView, now: number): string {
  const members = [...view.members].sort(
    (a, b) => stateOrder[a.state] - stateOrder[b.state] || a.addr.localeCompare(b.addr),
  );
  return renderTable(
    ['', 'ID', 'ADDRESS', 'STATE', 'INCARNATION', 'LAST SEEN'],
    members.map((member) => [
      member.id === view.self ? '*' : '',
      member.id,
      member.addr,
      member.state,
      String(member.incarnation),
      member.id === view.self ? 'self' : formatAge(member.lastSeen, now),
    ]),
    ['left', 'left', 'left', 'left', 'right', 'left'],
  );
}

/**
 * The view as JSON in the shape `GET /v1/cluster` has: `self` is the answering node's member
 * object (the client also keeps its id apart, as `self`, for convenience).
 */
export function clusterJson(view: ClusterView): Record<string, unknown> {
  const { selfMember, self, ...rest } = view;
  return { ...rest, self: selfMember ?? { id: self } };
}

export function formatHealth(health: Health): string {
  const parts = [health.status, `node=${displayNode(health.node)}`];
  if (health.id !== undefined) parts.push(`id=${health.id}`);
  if (health.members !== undefined) parts.push(`members=${health.members}`);
  if (health.files !== undefined) parts.push(`files=${health.files}`);
  return `${parts.join('  ')}\n`;
}

export async function membersCommand(context: CommandContext): Promise<void> {
  const view = await context.client.cluster(context.abortable);
  if (context.json) {
    context.out(toJson(clusterJson(view)));
    return;
  }
  context.out(formatMembers(view, context.io.now()));
  const alive = view.members.filter((member) => member.state === 'alive').length;
  context.note(`${alive} of ${view.members.length} members alive (* = the node that answered)`);
}

export async function healthCommand(context: CommandContext): Promise<void> {
  const health = await context.client.health(context.abortable);
  context.out(context.json ? toJson(health) : formatHealth(health));
  if (!health.ok) {
    throw new CliError(`the node is ${health.status}, not serving — try again in a moment`);
  }
}

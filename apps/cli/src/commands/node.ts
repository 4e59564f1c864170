/**
 * `dfs node drain <id>` and `dfs node remove <id>`: the operator's placement overrides. A drain is
 * gentle (the node keeps serving until its files have R copies elsewhere); a remove takes the node
 * out at once, so it asks first unless `--yes`, and refuses to guess when nobody can answer.
 */
import type { NodeRow } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { confirm } from '../confirm.js';

export interface RemoveFlags {
  yes?: boolean;
}

function describeRow(verb: string, row: NodeRow): string {
  return `${verb} ${row.id}: status ${row.status}${row.api === '' ? '' : ` (${row.api})`}\n`;
}

export async function drainCommand(context: CommandContext, id: string): Promise<void> {
  const row = await context.client.drainNode(id, context.abortable);
  context.out(context.json ? toJson(row) : describeRow('draining', row));
  context.note('it keeps serving until its files have their copies elsewhere — see dfs status');
}

export async function removeCommand(
  context: CommandContext,
  id: string,
  flags: RemoveFlags,
): Promise<void> {
  await confirm(
    context,
    `Remove ${id} from placement now? Its files are copied to other nodes at once.`,
    {
      yes: flags.yes,
      refusal: `not removing ${id} without a confirmation`,
      declined: `not removed: ${id}`,
    },
  );
  const row = await context.client.removeNode(id, context.abortable);
  context.out(context.json ? toJson(row) : describeRow('removed', row));
}

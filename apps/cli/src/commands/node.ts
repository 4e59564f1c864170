/**
 * `dfs node drain <id>` and `dfs node remove <id>`: the operator's placement overrides. A drain is
 * gentle (the node keeps serving until its files have R copies elsewhere); a remove takes the node
 * out at once, so it asks first unless `--yes`, and refuses to guess when nobody can answer.
 */
import type { NodeRow } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { CliError, UsageError } from '../problems.js';

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
  if (flags.yes !== true) {
    const stdin = context.io.stdin as { isTTY?: boolean };
    if (stdin.isTTY !== true) {
      throw new UsageError(
        `not removing ${id} without a confirmation: stdin is not a terminal — pass --yes`,
      );
    }
    context.io.stderr.write(
      `Remove ${id} from placement now? Its files are copied to other nodes at once. [y/N] `,
    );
    const answer = (await readLine(context.io.stdin)) ?? '';
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(`not removed: ${id}`);
  }
  const row = await context.client.removeNode(id, context.abortable);
  context.out(context.json ? toJson(row) : describeRow('removed', row));
}

/** One line from `stream` (without its newline), or undefined at the end of input. */
async function readLine(stream: NodeJS.ReadableStream): Promise<string | undefined> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const end = text.indexOf('\n');
    if (end >= 0) return text.slice(0, end);
  }
  return text === '' ? undefined : text;
}

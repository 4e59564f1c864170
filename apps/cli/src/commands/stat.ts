/** `dfs stat <name>`: size, sha256, version, holders, modified. */
import { nameProblem } from '@dfs/api';
import type { FileStat } from '@dfs/client';
import { toJson, type CommandContext } from '../context.js';
import { formatAge, formatBytes, renderFields } from '../format.js';
import { UsageError } from '../problems.js';
import { withFolderHint } from './get.js';

/** `2: node-a, node-b` when the node names them, else the count alone. */
export function formatHolders(info: FileStat): string {
  if (info.holders === undefined) return '-';
  if (info.holderIds === undefined || info.holderIds.length === 0) return String(info.holders);
  const more = info.holders > info.holderIds.length ? ', …' : '';
  return `${info.holders}: ${info.holderIds.join(', ')}${more}`;
}

export function formatStat(info: FileStat, now: number): string {
  const fields: [string, string][] = [
    ['name', info.name],
    ['size', `${formatBytes(info.size)} (${info.size} bytes)`],
    ['sha256', info.sha256],
    ['version', info.version === '' ? '-' : info.version],
    ['holders', formatHolders(info)],
    [
      'modified',
      info.modified === undefined
        ? '-'
        : `${new Date(info.modified).toISOString()} (${formatAge(info.modified, now)})`,
    ],
  ];
  return renderFields(fields);
}

export async function statCommand(context: CommandContext, name: string): Promise<void> {
  const problem = nameProblem(name);
  if (problem !== undefined) throw new UsageError(`bad name ${JSON.stringify(name)}: ${problem}`);
  context.subject = name;
  const info = await withFolderHint(context, name, 'dfs ls', () =>
    context.client.stat(name, context.abortable),
  );
  context.out(context.json ? toJson(info) : formatStat(info, context.io.now()));
}

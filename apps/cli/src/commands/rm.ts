/**
 * `dfs rm <name...>`: delete files everywhere (a tombstone spreads to every node), in parallel;
 * `dfs rm -r <prefix>`: every file under a folder, after showing the count and asking (unless --yes).
 */
import { nameProblem } from '@dfs/api';
import { DEFAULT_TRANSFERS } from '../batch.js';
import { confirm } from '../confirm.js';
import { toJson, type CommandContext } from '../context.js';
import { formatBytes } from '../format.js';
import { CliError, UsageError } from '../problems.js';
import { folderPrefix, listUnder } from '../remote-tree.js';
import { removeNames } from '../tree-transfer.js';
import { withFolderHint } from './get.js';

export interface RmFlags {
  recursive?: boolean;
  yes?: boolean;
  transfers?: number;
}

async function rmTree(context: CommandContext, prefixes: readonly string[], flags: RmFlags) {
  const names: string[] = [];
  let bytes = 0;
  for (const prefix of prefixes) {
    const folder = folderPrefix(prefix);
    if (folder === '') {
      throw new UsageError('rm -r needs a folder name; to empty the whole store name each folder');
    }
    const files = await listUnder(context, folder);
    if (files.length === 0) context.note(`no files under ${JSON.stringify(folder)}`);
    for (const file of files) {
      names.push(file.name);
      bytes += file.size;
    }
  }
  if (names.length === 0) {
    throw new CliError('nothing to delete — see dfs ls');
  }
  const what = `${names.length} ${names.length === 1 ? 'file' : 'files'} (${formatBytes(bytes)}) under ${prefixes.map((p) => JSON.stringify(folderPrefix(p))).join(', ')}`;
  await confirm(context, `Delete ${what} from every node?`, {
    yes: flags.yes,
    refusal: `not deleting ${what} without a confirmation`,
    declined: 'nothing deleted',
  });
  return names;
}

export async function rmCommand(
  context: CommandContext,
  names: readonly string[],
  flags: RmFlags = {},
): Promise<void> {
  for (const name of names) {
    const problem = nameProblem(name);
    if (problem !== undefined) throw new UsageError(`bad name ${JSON.stringify(name)}: ${problem}`);
  }
  const targets = flags.recursive ? await rmTree(context, names, flags) : [...names];
  if (targets.length === 1 && !flags.recursive) {
    const [name] = targets as [string];
    context.subject = name;
    await withFolderHint(context, name, 'dfs rm -r', () =>
      context.client.delete(name, context.abortable),
    );
    context.note(`removed ${name}`);
    if (context.json) context.out(toJson({ deleted: [name] }));
    return;
  }
  const outcome = await removeNames(context, targets, flags.transfers ?? DEFAULT_TRANSFERS);
  if (context.json) context.out(toJson({ deleted: outcome.removed }));
  if (outcome.failed.length > 0) {
    throw new CliError(`${outcome.failed.length} of ${targets.length} files failed (see above)`);
  }
}

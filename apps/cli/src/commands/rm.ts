/** `dfs rm <name...>`: delete files everywhere (a tombstone spreads to every node). */
import { nameProblem } from '@dfs/api';
import { toJson, type CommandContext } from '../context.js';
import { UsageError } from '../problems.js';

export async function rmCommand(context: CommandContext, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const problem = nameProblem(name);
    if (problem !== undefined) throw new UsageError(`bad name ${JSON.stringify(name)}: ${problem}`);
  }
  const deleted: string[] = [];
  for (const name of names) {
    context.subject = name;
    await context.client.delete(name, context.abortable);
    deleted.push(name);
    context.note(`removed ${name}`);
  }
  if (context.json) context.out(toJson({ deleted }));
}

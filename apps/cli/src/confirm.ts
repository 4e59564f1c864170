/**
 * Asking before something that cannot be undone (`rm -r`, `node remove`): a y/N question on a
 * terminal; without a terminal and without `--yes`, a usage error that names `--yes`.
 */
import type { CommandContext } from './context.js';
import { CliError, UsageError } from './problems.js';

/** Resolves when the user said yes (or passed --yes); throws otherwise. */
export async function confirm(
  context: CommandContext,
  question: string,
  options: { yes: boolean | undefined; refusal: string; declined: string },
): Promise<void> {
  if (options.yes === true) return;
  const stdin = context.io.stdin as { isTTY?: boolean };
  if (stdin.isTTY !== true) {
    throw new UsageError(`${options.refusal}: stdin is not a terminal — pass --yes`);
  }
  context.io.stderr.write(`${question} [y/N] `);
  const answer = (await readLine(context.io.stdin)) ?? '';
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(options.declined);
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

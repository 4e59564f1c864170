/**
 * `dfs completion bash|zsh|fish`: prints a completion script from apps/cli/completions/. Commands and
 * flags complete statically; names for get/rm/stat/ls come from the cluster
 * (`dfs ls --names -- <prefix>`, using DFS_NODE).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../problems.js';

const scripts: Record<string, string> = { bash: 'dfs.bash', zsh: '_dfs', fish: 'dfs.fish' };

export async function completionScript(shell: string): Promise<string> {
  const file = scripts[shell];
  if (file === undefined) {
    throw new UsageError(`no completion for ${JSON.stringify(shell)} — choose bash, zsh or fish`);
  }
  // src/commands and dist/commands are both two levels below the package root.
  return readFile(new URL(`../../completions/${file}`, import.meta.url), 'utf8');
}

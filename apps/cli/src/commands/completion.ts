/**
 * `dfs completion bash|zsh`: prints a completion script from apps/cli/completions/. Commands and
 * flags complete statically; names for get/rm/stat/ls come from the cluster
 * (`dfs ls --names -- <prefix>`, using DFS_NODE).
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../problems.js';

const scripts: Record<string, string> = { bash: 'dfs.bash', zsh: '_dfs' };

export async function completionScript(shell: string): Promise<string> {
  const file = scripts[shell];
  if (file === undefined) {
    throw new UsageError(`no completion for ${JSON.stringify(shell)} — choose bash or zsh`);
  }
  // src/commands and dist/commands are both two levels below the package root.
  return readFile(new URL(`../../completions/${file}`, import.meta.url), 'utf8');
}

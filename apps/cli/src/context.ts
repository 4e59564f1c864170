/**
 * The global options every command shares, resolved once: which nodes, which token, output mode,
 * and the user's directory.
 */
import { createClient, DEFAULT_NODE, type DfsClient } from '@dfs/client';
import type { CliIo } from './io.js';
import { userDirectory } from './paths.js';
import { createProgress, shouldShowProgress, type ProgressReporter } from './progress.js';

export interface GlobalOptions {
  node?: string;
  token?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface CommandContext {
  io: CliIo;
  client: DfsClient;
  /** Node addresses as the user gave them (for messages). */
  nodes: string[];
  json: boolean;
  quiet: boolean;
  /** The directory relative paths are resolved against. */
  cwd: string;
  progress: ProgressReporter;
  /** `{ signal }` to spread into every client call (empty when nothing can interrupt). */
  abortable: { signal?: AbortSignal };
  /** The dfs name the command is working on (named in error messages). */
  subject?: string;
  /** Writes data (the command's result) to stdout. */
  out(text: string): void;
  /** Writes a note for the human to stderr, unless --quiet. */
  note(text: string): void;
}

/** The address list: --node, else DFS_NODE, else the default; comma-separated allowed. */
export function resolveNodes(option: string | undefined, env: CliIo['env']): string[] {
  const raw =
    option ??
    (env.DFS_NODE !== undefined && env.DFS_NODE.trim() !== '' ? env.DFS_NODE : DEFAULT_NODE);
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

export function resolveToken(option: string | undefined, env: CliIo['env']): string | undefined {
  const token = option ?? env.DFS_API_TOKEN;
  return token === undefined || token === '' ? undefined : token;
}

export function createContext(io: CliIo, options: GlobalOptions): CommandContext {
  const nodes = resolveNodes(options.node, io.env);
  const token = resolveToken(options.token, io.env);
  const json = options.json ?? false;
  const quiet = options.quiet ?? false;
  const client = createClient({
    nodes: nodes.length > 0 ? nodes : [''],
    ...(token === undefined ? {} : { token }),
    userAgent: 'dfs-cli',
  });
  return {
    io,
    client,
    nodes,
    json,
    quiet,
    cwd: userDirectory(io.cwd, io.env),
    abortable: io.signal ? { signal: io.signal } : {},
    progress: createProgress(io.stderr, shouldShowProgress(io.stderr, { json, quiet }), io.now),
    out: (text) => {
      io.stdout.write(text);
    },
    note: (text) => {
      if (!quiet) io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
  };
}

/** JSON output: one document, two-space indented, newline-terminated. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

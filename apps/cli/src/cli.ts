/**
 * The `dfs` command: commander wiring, global options, and the one place that turns any failure
 * into a message and an exit code. `runCli` never exits the process, so tests run it in-process.
 */
import { readFileSync } from 'node:fs';
import { DfsClientError } from '@dfs/client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { createContext, type CommandContext, type GlobalOptions } from './context.js';
import { healthCommand, membersCommand } from './commands/cluster.js';
import { completionScript } from './commands/completion.js';
import { getCommand, type GetFlags } from './commands/get.js';
import { lsCommand, type LsFlags } from './commands/ls.js';
import { putCommand, type PutFlags } from './commands/put.js';
import { drainCommand, removeCommand, type RemoveFlags } from './commands/node.js';
import { rmCommand } from './commands/rm.js';
import { statusCommand } from './commands/status.js';
import { statCommand } from './commands/stat.js';
import type { CliIo } from './io.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, explain, type ProblemContext } from './problems.js';

export const EXAMPLES = `
Examples:
  dfs put photo.jpg                      upload as "photo.jpg"
  dfs put report.pdf docs/2024/q1.pdf    upload under another name
  dfs put -r ./site www                  upload a tree as www/…
  tar c dir | dfs put - backups/dir.tar  upload stdin
  dfs ls docs/                           list names starting with docs/
  dfs get docs/2024/q1.pdf               download to ./q1.pdf
  dfs get photo.jpg - | sha256sum        download to stdout
  dfs rm photo.jpg                       delete everywhere
  dfs --node 10.0.0.5:4001 members       ask another node
  dfs status                             members, placement, under-replicated files
  dfs node drain <id>                    hand a member's files off before retiring it

Environment:
  DFS_NODE       node address(es), like --node (default 127.0.0.1:4001)
  DFS_API_TOKEN  API token, like --token
  DEBUG          print stack traces for unexpected errors

Exit codes: 0 ok, 1 failed (not found, refused, unreachable), 2 usage error.
`;

function readVersion(): string {
  try {
    const raw = readFileSync(new URL('../package.json', import.meta.url), 'utf8');
    const parsed = JSON.parse(raw) as { version?: unknown };
    return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return parsed;
}

/** State the command handlers fill in, read by the error handler. */
interface RunState {
  context: CommandContext | undefined;
  problem: ProblemContext;
}

export function buildProgram(io: CliIo, state: RunState): Command {
  const program = new Command('dfs');
  const contextFor = (command: Command): CommandContext => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const context = createContext(io, globals);
    state.context = context;
    state.problem.nodes = context.nodes;
    return context;
  };
  program
    .description(
      'dfs — a peer-to-peer distributed file store. Upload to any node, read from any node.',
    )
    .version(readVersion(), '-V, --version', 'show the version')
    .helpOption('-h, --help', 'show help')
    .addOption(
      new Option(
        '--node <host:port>',
        'node address; a comma-separated list is tried in order (env DFS_NODE, default 127.0.0.1:4001)',
      ),
    )
    .addOption(new Option('--token <token>', 'API token (env DFS_API_TOKEN)'))
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'no progress bars or notes on stderr')
    .showSuggestionAfterError(true)
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.startsWith('error:') ? `dfs: ${text}` : text),
    });

  program
    .command('put')
    .description('upload a file, stdin (-) or a directory tree (-r)')
    .argument('<file>', 'local file, directory with -r, or - for stdin')
    .argument('[name]', 'name in the store (default: the file base name; the prefix with -r)')
    .option('-r, --recursive', 'upload a directory tree, keeping relative names')
    .option('-w, --wait <n>', 'wait until n nodes hold each file', positiveInteger)
    .action(async (file: string, name: string | undefined, flags: PutFlags, command: Command) => {
      if (flags.wait !== undefined) state.problem.w = flags.wait;
      await putCommand(contextFor(command), file, name, flags);
    });

  program
    .command('get')
    .description('download a file to a local file (atomically) or to stdout (-)')
    .argument('<name>', 'name in the store')
    .argument('[file]', 'local path, a directory, or - for stdout (default: ./<base name>)')
    .option('-f, --force', 'overwrite an existing local file')
    .action(async (name: string, file: string | undefined, flags: GetFlags, command: Command) => {
      await getCommand(contextFor(command), name, file, flags);
    });

  program
    .command('rm')
    .description('delete files from every node')
    .argument('<name...>', 'names in the store')
    .action(async (names: string[], _flags: object, command: Command) => {
      await rmCommand(contextFor(command), names);
    });

  program
    .command('ls')
    .description('list files (name, size, age)')
    .argument('[prefix]', 'only names starting with this')
    .option('--limit <n>', 'show at most n files', positiveInteger)
    .option('--names', 'print names only, one per line')
    .action(async (prefix: string | undefined, flags: LsFlags, command: Command) => {
      await lsCommand(contextFor(command), prefix, flags);
    });

  program
    .command('stat')
    .description('show size, sha256, version, holders and age of a file')
    .argument('<name>', 'name in the store')
    .action(async (name: string, _flags: object, command: Command) => {
      await statCommand(contextFor(command), name);
    });

  program
    .command('members')
    .description('list the cluster members as the node sees them')
    .action(async (_flags: object, command: Command) => {
      await membersCommand(contextFor(command));
    });

  program
    .command('status')
    .description('every member with its state and placement, and the replication summary')
    .action(async (_flags: object, command: Command) => {
      await statusCommand(contextFor(command));
    });

  const node = program.command('node').description('operator actions on a member: drain or remove');
  node
    .command('drain')
    .description(
      "hand off a member's files: it keeps serving until they have their copies elsewhere",
    )
    .argument('<id>', 'member id (see dfs status)')
    .action(async (id: string, _flags: object, command: Command) => {
      await drainCommand(contextFor(command), id);
    });
  node
    .command('remove')
    .description('take a member out of placement now; its files are copied to other nodes')
    .argument('<id>', 'member id (see dfs status)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, flags: RemoveFlags, command: Command) => {
      await removeCommand(contextFor(command), id, flags);
    });

  program
    .command('health')
    .description('check that the node is serving (exit 1 when it is not)')
    .action(async (_flags: object, command: Command) => {
      await healthCommand(contextFor(command));
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(dfs completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action(async (shell: string) => {
      io.stdout.write(await completionScript(shell));
    });

  return program;
}

/** Runs `dfs` with `argv` (without node and script) and resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const state: RunState = { context: undefined, problem: { nodes: [] } };
  const program = buildProgram(io, state);
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; everything else commander rejects is a usage error.
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      ) {
        return EXIT_OK;
      }
      const command = argv.find((arg) => program.commands.some((c) => c.name() === arg));
      io.stderr.write(`Run dfs ${command === undefined ? '' : `${command} `}--help for usage.\n`);
      return EXIT_USAGE;
    }
    state.context?.progress.stop();
    const subject = state.context?.subject;
    // Whatever a stream threw while being torn down, an interrupted run reports the interruption.
    const cause = io.signal?.aborted
      ? new DfsClientError('ERR_ABORTED', 'interrupted', { cause: error })
      : error;
    const { message, exitCode } = explain(cause, {
      ...state.problem,
      ...(subject === undefined ? {} : { name: subject }),
    });
    if (message !== '') io.stderr.write(`dfs: ${message}\n`);
    if (io.env.DEBUG && error instanceof Error && error.stack) {
      io.stderr.write(`${error.stack}\n`);
      if (error.cause instanceof Error && error.cause.stack) {
        io.stderr.write(`caused by: ${error.cause.stack}\n`);
      }
    }
    return exitCode === EXIT_OK ? EXIT_OK : exitCode || EXIT_FAILED;
  }
}

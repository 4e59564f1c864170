/**
 * The `dfs` command: commander wiring, global options, and the one place that turns any failure
 * into a message and an exit code. `runCli` never exits the process, so tests run it in-process.
 * Only commander loads up front: each command's module (and the client, zod, the progress bar) is
 * imported when that command runs, so `dfs --version` and `dfs --help` start fast.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './context.js';
import type { GetFlags } from './commands/get.js';
import type { LsFlags } from './commands/ls.js';
import type { PutFlags } from './commands/put.js';
import type { RemoveFlags } from './commands/node.js';
import type { RmFlags } from './commands/rm.js';
import type { SyncFlags } from './commands/sync.js';
import type { CliIo } from './io.js';
import type { ProblemContext } from './problems.js';
import { readVersion } from './version.js';

// The exit codes (problems.ts has the same; kept here so the happy path need not load it).
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** Mirrors batch.ts: the bounds of --transfers. */
const DEFAULT_TRANSFERS = 8;
const MAX_TRANSFERS = 256;

export const EXAMPLES = `
Examples:
  dfs put photo.jpg                      upload as "photo.jpg"
  dfs put report.pdf docs/2024/q1.pdf    upload under another name
  dfs put -r ./site www                  upload a tree as www/… (unchanged files are skipped)
  dfs get -r www ./site-copy             download the folder www/ into ./site-copy
  dfs sync ./site dfs:www --delete       make the folder www/ mirror ./site
  dfs sync dfs:www ./site                and back
  tar c dir | dfs put - backups/dir.tar  upload stdin
  dfs ls docs/                           list what is in the folder docs/ (-r: every file)
  dfs get docs/2024/q1.pdf               download to ./q1.pdf
  dfs get photo.jpg - | sha256sum        download to stdout
  dfs rm photo.jpg                       delete everywhere
  dfs rm -r old/                         delete every file under old/ (asks first)
  dfs --node 10.0.0.5:4001 members       ask another node
  dfs status                             every node: files, bytes, free disk, backlog
  dfs node drain <id>                    hand a member's files off before retiring it

Environment:
  DFS_NODE       node address(es), like --node (default 127.0.0.1:4001)
  DFS_API_TOKEN  API token, like --token
  DEBUG          print stack traces for unexpected errors

Exit codes: 0 ok, 1 failed (not found, refused, unreachable), 2 usage error.
`;

function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidArgumentError('expected a positive integer.');
  }
  return parsed;
}

function transferCount(value: string): number {
  const parsed = positiveInteger(value);
  if (parsed > MAX_TRANSFERS) throw new InvalidArgumentError(`at most ${MAX_TRANSFERS}.`);
  return parsed;
}

const transfersOption = () =>
  new Option('-t, --transfers <n>', `files moved in parallel (1–${MAX_TRANSFERS})`)
    .default(DEFAULT_TRANSFERS)
    .argParser(transferCount);

/** State the command handlers fill in, read by the error handler. */
interface RunState {
  context: CommandContext | undefined;
  problem: ProblemContext;
}

export function buildProgram(io: CliIo, state: RunState): Command {
  const program = new Command('dfs');
  const contextFor = async (command: Command): Promise<CommandContext> => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    const { createContext } = await import('./context.js');
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
    .option(
      '-f, --force',
      'with -r, upload every file, even those the cluster holds with the same sha256',
    )
    .option('-w, --wait <n>', 'wait until n nodes hold each file', positiveInteger)
    .option(
      '--resume',
      'send through a resumable session whatever the size (files of 64 MiB or more always are)',
    )
    .addOption(transfersOption())
    .action(async (file: string, name: string | undefined, flags: PutFlags, command: Command) => {
      if (flags.wait !== undefined) state.problem.w = flags.wait;
      const { putCommand } = await import('./commands/put.js');
      await putCommand(await contextFor(command), file, name, flags);
    });

  program
    .command('get')
    .description(
      'download a file to a local file (atomically) or to stdout (-); -r: a folder to a directory',
    )
    .argument('<name>', 'name in the store (with -r: a folder, like www/)')
    .argument(
      '[file]',
      'local path, a directory, or - for stdout (default: ./<base name>; with -r ./<folder>)',
    )
    .option('-r, --recursive', 'download every file under the folder, keeping relative names')
    .option('-f, --force', 'overwrite existing local files')
    .addOption(transfersOption())
    .action(async (name: string, file: string | undefined, flags: GetFlags, command: Command) => {
      const { getCommand } = await import('./commands/get.js');
      await getCommand(await contextFor(command), name, file, flags);
    });

  program
    .command('rm')
    .description('delete files from every node; -r: every file under a folder')
    .argument('<name...>', 'names in the store (with -r: folders)')
    .option('-r, --recursive', 'delete every file under the folders (shows the count, asks first)')
    .option('-y, --yes', 'do not ask for confirmation')
    .addOption(transfersOption())
    .action(async (names: string[], flags: RmFlags, command: Command) => {
      const { rmCommand } = await import('./commands/rm.js');
      await rmCommand(await contextFor(command), names, flags);
    });

  program
    .command('sync')
    .description(
      'make DST hold what SRC holds: a local directory and a cluster folder (dfs:folder), either way',
    )
    .argument('<src>', 'a local directory or dfs:folder (dfs: alone is the whole store)')
    .argument('<dst>', 'a cluster folder (dfs:folder) or a local directory')
    .option('--delete', 'delete what only DST has')
    .option('-n, --dry-run', 'print what would be copied and deleted; change nothing')
    .addOption(transfersOption())
    .action(async (src: string, dst: string, flags: SyncFlags, command: Command) => {
      const { syncCommand } = await import('./commands/sync.js');
      await syncCommand(await contextFor(command), src, dst, flags);
    });

  program
    .command('ls')
    .description('list a folder: its sub-folders and files (name, size, age); -r: every file')
    .argument('[prefix]', 'a folder like docs/, or any start of names')
    .option('-r, --recursive', 'every file under the prefix, not folded into folders')
    .option('--limit <n>', 'show at most n entries', positiveInteger)
    .option('--names', 'print names only, one per line (folders end with /)')
    .action(async (prefix: string | undefined, flags: LsFlags, command: Command) => {
      const { lsCommand } = await import('./commands/ls.js');
      await lsCommand(await contextFor(command), prefix, flags);
    });

  program
    .command('stat')
    .description('show size, sha256, version, holders and age of a file')
    .argument('<name>', 'name in the store')
    .action(async (name: string, _flags: object, command: Command) => {
      const { statCommand } = await import('./commands/stat.js');
      await statCommand(await contextFor(command), name);
    });

  program
    .command('members')
    .description('list the cluster members as the node sees them')
    .action(async (_flags: object, command: Command) => {
      const { membersCommand } = await import('./commands/cluster.js');
      await membersCommand(await contextFor(command));
    });

  program
    .command('status')
    .description(
      'every member with its state, placement, files, bytes, free disk, transfers and backlog',
    )
    .action(async (_flags: object, command: Command) => {
      const { statusCommand } = await import('./commands/status.js');
      await statusCommand(await contextFor(command));
    });

  const node = program.command('node').description('operator actions on a member: drain or remove');
  node
    .command('drain')
    .description(
      "hand off a member's files: it keeps serving until they have their copies elsewhere",
    )
    .argument('<id>', 'member id (see dfs status)')
    .action(async (id: string, _flags: object, command: Command) => {
      const { drainCommand } = await import('./commands/node.js');
      await drainCommand(await contextFor(command), id);
    });
  node
    .command('remove')
    .description('take a member out of placement now; its files are copied to other nodes')
    .argument('<id>', 'member id (see dfs status)')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (id: string, flags: RemoveFlags, command: Command) => {
      const { removeCommand } = await import('./commands/node.js');
      await removeCommand(await contextFor(command), id, flags);
    });

  program
    .command('health')
    .description('check that the node is serving (exit 1 when it is not)')
    .action(async (_flags: object, command: Command) => {
      const { healthCommand } = await import('./commands/cluster.js');
      await healthCommand(await contextFor(command));
    });

  program
    .command('completion')
    .description('print a shell completion script: source <(dfs completion bash)')
    .argument('<shell>', 'bash, zsh or fish')
    .action(async (shell: string) => {
      const { completionScript } = await import('./commands/completion.js');
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
    const [{ DfsClientError }, { explain }] = await Promise.all([
      import('@dfs/client'),
      import('./problems.js'),
    ]);
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

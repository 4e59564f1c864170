/**
 * Turning failures into one line that names the problem and the fix, and an exit code:
 * 0 ok, 1 failed (not found, refused, unreachable), 2 usage error.
 */
import { NAME_RULES } from '@dfs/api';
import { DfsClientError, displayNode } from '@dfs/client';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
/** Stopped by Ctrl-C: the shell convention, 128 + SIGINT. */
export const EXIT_INTERRUPTED = 130;

/** A failure the CLI found itself (a missing local file, a target that exists). */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
  ) {
    super(message);
  }
}

/** The command line itself is wrong: exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

export interface ProblemContext {
  /** The nodes the command was pointed at, as the user wrote them. */
  nodes: readonly string[];
  /** The dfs name the command was about, when there is one. */
  name?: string;
  /** `w` for puts, to explain a 504. */
  w?: number;
}

function nodeList(error: DfsClientError, context: ProblemContext): string {
  const tried = error.nodesTried.length > 0 ? error.nodesTried.map(displayNode) : context.nodes;
  return tried.join(', ');
}

function quoted(name: string | undefined): string {
  return name === undefined ? 'the file' : JSON.stringify(name);
}

/** Message and exit code for a client error. */
export function explainClientError(
  error: DfsClientError,
  context: ProblemContext,
): { message: string; exitCode: number } {
  const node = error.node === undefined ? nodeList(error, context) : displayNode(error.node);
  const failed = (message: string) => ({ message, exitCode: EXIT_FAILED });
  switch (error.code) {
    case 'ERR_UNREACHABLE':
      return failed(
        `no node at ${nodeList(error, context)} — is it running? set --node or DFS_NODE`,
      );
    case 'ERR_UNAUTHORIZED':
    case 'ERR_FORBIDDEN':
      return failed(
        `${node} refused the request: missing or wrong API token — set --token or DFS_API_TOKEN`,
      );
    case 'ERR_NOT_FOUND':
      return failed(
        context.name === undefined
          ? `${error.message} (${node})`
          : `no file named ${quoted(context.name)} on the cluster — see dfs ls`,
      );
    case 'ERR_UNKNOWN_NODE':
      return failed(`${error.message} (${node}) — dfs status lists the members`);
    case 'ERR_INVALID_NAME':
      return { message: `bad name: ${error.message} — ${NAME_RULES}`, exitCode: EXIT_USAGE };
    case 'ERR_INVALID_ARGUMENT':
      return { message: error.message, exitCode: EXIT_USAGE };
    case 'ERR_TOO_LARGE':
      return failed(
        `${node} refused ${quoted(context.name)}: ${error.message}` +
          (error.message.includes('--max-file-size')
            ? ''
            : " — the node's --max-file-size sets the limit"),
      );
    case 'ERR_INSUFFICIENT_STORAGE':
      return failed(
        `${node} is out of disk space: ${error.message} — free space or use another --node`,
      );
    case 'ERR_UNAVAILABLE':
      return failed(
        `${node} is not serving (starting or stopping) — try again in a moment or use another --node`,
      );
    case 'ERR_TIMEOUT':
      return failed(
        context.w === undefined
          ? `${node} timed out: ${error.message}`
          : `${quoted(context.name)} is stored, but fewer than ${context.w} nodes confirmed it in time — it keeps spreading; check with dfs stat`,
      );
    case 'ERR_RANGE':
      return failed(`${node} refused the byte range: ${error.message}`);
    case 'ERR_NETWORK':
      return failed(`${error.message} — check the node and try again`);
    case 'ERR_INTEGRITY':
      return failed(`${error.message} — try again; the node will repair its copy`);
    case 'ERR_CHANGED':
      return failed(`${error.message} — run the command again for the newest version`);
    case 'ERR_EXISTS':
      return failed(
        error.message.endsWith('is a directory')
          ? `${error.message} — name a file path to write instead`
          : `${error.message} — use --force to overwrite`,
      );
    case 'ERR_ABORTED':
      return { message: 'interrupted; nothing was left half-written', exitCode: EXIT_INTERRUPTED };
    case 'ERR_BAD_REQUEST':
      return { message: `${node} refused the request: ${error.message}`, exitCode: EXIT_FAILED };
    default:
      return failed(
        error.status === undefined
          ? error.message
          : `${node} answered ${error.status}: ${error.message}`,
      );
  }
}

/** Message and exit code for anything thrown by a command. */
export function explain(
  error: unknown,
  context: ProblemContext,
): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof DfsClientError) return explainClientError(error, context);
  const errno = (error as NodeJS.ErrnoException | undefined)?.code;
  if (errno === 'EPIPE') return { message: '', exitCode: EXIT_OK };
  const message = error instanceof Error ? error.message : String(error);
  return {
    message: `unexpected error: ${message} (set DEBUG=1 for details)`,
    exitCode: EXIT_FAILED,
  };
}

/**
 * `dfs sync SRC DST`: make DST hold what SRC holds, one side a local directory and the other a
 * folder of the cluster written `dfs:folder` (`dfs:` alone is the whole store), as with
 * `rclone sync` or `aws s3 sync`. Files whose sha256 already matches are not sent; --delete removes
 * what only DST has; --dry-run prints the plan and changes nothing.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { nameProblem } from '@dfs/api';
import { DEFAULT_TRANSFERS } from '../batch.js';
import { toJson, type CommandContext } from '../context.js';
import { walkTree } from '../paths.js';
import { CliError, UsageError } from '../problems.js';
import { folderPrefix, listUnder } from '../remote-tree.js';
import { downloadTree, formatTreeSummary, uploadTree, type TreeReport } from '../tree-transfer.js';

export interface SyncFlags {
  delete?: boolean;
  dryRun?: boolean;
  transfers?: number;
}

/** How a cluster location is written on the command line. */
export const CLUSTER_SCHEME = 'dfs:';

export type Location = { kind: 'cluster'; prefix: string } | { kind: 'local'; path: string };

/** `dfs:photos/2024` → the cluster folder `photos/2024/`; anything else is a local path. */
export function parseLocation(arg: string): Location {
  if (!arg.startsWith(CLUSTER_SCHEME)) return { kind: 'local', path: arg };
  const rest = arg.slice(CLUSTER_SCHEME.length).replace(/^\/+/, '');
  const prefix = folderPrefix(rest);
  if (prefix !== '') {
    const problem = nameProblem(prefix.slice(0, -1));
    if (problem !== undefined)
      throw new UsageError(`bad folder ${JSON.stringify(arg)}: ${problem}`);
  }
  return { kind: 'cluster', prefix };
}

function summaryJson(report: TreeReport, dryRun: boolean) {
  return {
    dryRun,
    copied: report.copied,
    bytes: report.bytes,
    unchanged: report.unchanged,
    deleted: report.removed,
    failed: report.failed,
  };
}

export async function syncCommand(
  context: CommandContext,
  src: string,
  dst: string,
  flags: SyncFlags,
): Promise<void> {
  const from = parseLocation(src);
  const to = parseLocation(dst);
  if (from.kind === to.kind) {
    throw new UsageError(
      `sync needs one local directory and one cluster folder (written ${CLUSTER_SCHEME}folder), e.g. dfs sync ./site ${CLUSTER_SCHEME}www`,
    );
  }
  const options = {
    transfers: flags.transfers ?? DEFAULT_TRANSFERS,
    skipUnchanged: true,
    delete: flags.delete === true,
    dryRun: flags.dryRun === true,
  };
  let report: TreeReport;
  let verb: string;
  if (from.kind === 'local' && to.kind === 'cluster') {
    const root = resolve(context.cwd, from.path);
    const info = await stat(root).catch(() => undefined);
    if (!info?.isDirectory()) throw new CliError(`no such directory: ${from.path}`);
    const tree = await walkTree(root);
    for (const entry of tree.skipped) context.note(`skipped ${entry} (not a regular file)`);
    const files = tree.files.map((file) => ({
      path: file.path,
      name: `${to.prefix}${file.relative}`,
      size: file.size,
    }));
    if (files.length === 0 && options.delete) {
      throw new CliError(
        `${from.path} holds no files; not deleting everything under ${JSON.stringify(to.prefix)}`,
      );
    }
    for (const file of files) {
      const problem = nameProblem(file.name);
      if (problem !== undefined) {
        throw new UsageError(
          `${file.path} cannot be named ${JSON.stringify(file.name)}: ${problem}`,
        );
      }
    }
    report = await uploadTree(context, files, to.prefix, options);
    verb = options.dryRun ? 'to upload' : 'uploaded';
  } else if (from.kind === 'cluster' && to.kind === 'local') {
    const root = resolve(context.cwd, to.path);
    const remote = await listUnder(context, from.prefix);
    if (remote.length === 0 && options.delete) {
      // Mirroring nothing would delete the whole local directory: almost always a typo.
      throw new CliError(
        `no files under ${JSON.stringify(from.prefix)} on the cluster; not deleting everything in ${to.path}`,
      );
    }
    report = await downloadTree(context, remote, from.prefix, root, {
      ...options,
      overwrite: true,
    });
    verb = options.dryRun ? 'to download' : 'downloaded';
  } else {
    throw new UsageError('sync needs one local directory and one cluster folder');
  }
  if (context.json) context.out(toJson(summaryJson(report, options.dryRun)));
  const summary = formatTreeSummary(report, verb);
  context.note(options.dryRun ? `dry run: ${summary.replace(' deleted', ' to delete')}` : summary);
  if (report.failed.length > 0) {
    throw new CliError(`${report.failed.length} files failed (see above)`);
  }
}

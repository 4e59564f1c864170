/**
 * Moving a tree between a local directory and a folder of the cluster, both ways, in parallel:
 * `put -r`, `get -r` and `sync` are this with different switches. Files whose sha256 already
 * matches on the other side are left alone; with `delete`, what only the target has is removed;
 * with `dryRun`, nothing moves and the plan is printed instead.
 */
import { mkdir, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pLimit from 'p-limit';
import type { FileEntry, PutResult } from '@dfs/client';
import { deltas, runBatch, type BatchFailure } from './batch.js';
import type { CommandContext } from './context.js';
import { formatBytes } from './format.js';
import { hashFile, walkTree } from './paths.js';
import { CliError } from './problems.js';
import { localPathFor } from './remote-tree.js';
import { uploadFile } from './upload-file.js';
import { planSync, settleChecks, type SideEntry, type SyncPlan } from './sync-plan.js';

export interface TreeOptions {
  transfers: number;
  /** Leave files whose sha256 already matches (false: copy every file). */
  skipUnchanged: boolean;
  /** Remove what only the target has. */
  delete: boolean;
  dryRun: boolean;
}

export interface TreeReport {
  /** Names (uploads) or local paths (downloads) copied, in order. */
  copied: string[];
  /** Bytes copied. */
  bytes: number;
  unchanged: number;
  /** Names or local paths removed. */
  removed: string[];
  failed: { name: string; message: string }[];
  elapsedMs: number;
  /** The put results of uploads (for `put -r` output). */
  results: PutResult[];
}

/** One local file and the name it has (or gets) in the cluster. */
export interface LocalFile {
  path: string;
  name: string;
  size: number;
}

function emptyReport(): TreeReport {
  return { copied: [], bytes: 0, unchanged: 0, removed: [], failed: [], elapsedMs: 0, results: [] };
}

/** Hashes the `check` entries of `plan` (at most `transfers` at once) and settles them. */
async function settle(
  plan: SyncPlan,
  transfers: number,
  hashes: (rel: string) => Promise<{ source: string; target: string } | undefined>,
): Promise<SyncPlan> {
  if (plan.check.length === 0) return plan;
  const limit = pLimit(transfers);
  const known = new Map<string, { source: string; target: string }>();
  await Promise.all(
    plan.check.map((rel) =>
      limit(async () => {
        // An unreadable file counts as changed: the copy then reports why.
        const pair = await hashes(rel).catch(() => undefined);
        if (pair !== undefined) known.set(rel, pair);
      }),
    ),
  );
  return settleChecks(plan, known);
}

function failures<I>(failed: BatchFailure<I>[], nameOf: (item: I) => string) {
  return failed.map(({ item, message }) => ({ name: nameOf(item), message }));
}

/** Uploads `files` (all named under `prefix`) to the cluster. */
export async function uploadTree(
  context: CommandContext,
  files: readonly LocalFile[],
  prefix: string,
  options: TreeOptions & { wait?: number; onResult?: (result: PutResult) => string | undefined },
): Promise<TreeReport> {
  const report = emptyReport();
  const byRel = new Map(files.map((file) => [file.name.slice(prefix.length), file]));
  const source = new Map<string, SideEntry>(
    [...byRel].map(([rel, file]) => [rel, { size: file.size }]),
  );
  const target = new Map<string, SideEntry>();
  if (options.skipUnchanged || options.delete) {
    for await (const entry of context.client.listAll({
      ...context.abortable,
      ...(prefix === '' ? {} : { prefix }),
    })) {
      target.set(entry.name.slice(prefix.length), { size: entry.size, sha256: entry.sha256 });
    }
  }
  let plan = planSync(source, options.skipUnchanged ? target : new Map(), {
    delete: false,
  });
  if (options.delete) plan.remove = planSync(source, target, { delete: true }).remove;
  plan = await settle(plan, options.transfers, async (rel) => {
    const file = byRel.get(rel);
    const remote = target.get(rel)?.sha256;
    if (file === undefined || remote === undefined) return undefined;
    return { source: await hashFile(file.path), target: remote };
  });
  report.unchanged = plan.unchanged.length;
  const uploads = plan.copy.map((rel) => byRel.get(rel)).filter((file) => file !== undefined);
  const removals = plan.remove.map((rel) => `${prefix}${rel}`);
  if (options.dryRun) {
    if (!context.json) printUploadPlan(context, uploads, removals);
    report.copied = uploads.map((file) => file.name);
    report.bytes = uploads.reduce((sum, file) => sum + file.size, 0);
    report.removed = removals;
    return report;
  }
  const put = await runBatch(
    context,
    uploads,
    {
      transfers: options.transfers,
      verb: 'uploading',
      nameOf: (file) => file.name,
      sizeOf: (file) => file.size,
    },
    (file, onBytes) =>
      // Large files go through a resumable session (upload-file.ts); the rest in one PUT each.
      uploadFile(context, file.path, file.name, file.size, {
        ...(options.wait === undefined ? {} : { w: options.wait }),
        onProgress: deltas(onBytes),
      }),
    (_file, result, progress) => {
      const line = options.onResult?.(result);
      if (line !== undefined) progress.print(context.io.stdout, line);
    },
  );
  report.results = put.done.map(({ result }) => result);
  report.copied = put.done.map(({ item }) => item.name);
  report.bytes = put.done.reduce((sum, { item }) => sum + item.size, 0);
  report.failed.push(...failures(put.failed, (file) => file.name));
  report.elapsedMs = put.elapsedMs;
  if (removals.length > 0) {
    const removed = await removeNames(context, removals, options.transfers);
    report.removed = removed.removed;
    report.failed.push(...removed.failed);
    report.elapsedMs += removed.elapsedMs;
  }
  return report;
}

/** Deletes `names` from the cluster in parallel. */
export async function removeNames(
  context: CommandContext,
  names: readonly string[],
  transfers: number,
): Promise<{ removed: string[]; failed: TreeReport['failed']; elapsedMs: number }> {
  const outcome = await runBatch(
    context,
    names,
    { transfers, verb: 'deleting', nameOf: (name) => name, sizeOf: () => 0 },
    (name) => context.client.delete(name, context.abortable),
    (name, _result, progress) => {
      if (!context.quiet) progress.print(context.io.stderr, `removed ${name}\n`);
    },
  );
  return {
    removed: outcome.done.map(({ item }) => item),
    failed: failures(outcome.failed, (name) => name),
    elapsedMs: outcome.elapsedMs,
  };
}

/** Local files under `root` keyed by their `/`-separated relative path (none when it is absent). */
async function localFiles(root: string): Promise<Map<string, SideEntry & { path: string }>> {
  const walk = await walkTree(root).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return { files: [], skipped: [] };
    if (error.code === 'ENOTDIR') throw new CliError(`${root} is a file, not a directory`);
    throw error;
  });
  return new Map(walk.files.map((file) => [file.relative, { size: file.size, path: file.path }]));
}

/**
 * Downloads `remote` (all named under `prefix`) into `root`, keeping the relative names. Without
 * `overwrite`, a local file that differs is reported as a failure instead of being replaced.
 */
export async function downloadTree(
  context: CommandContext,
  remote: readonly FileEntry[],
  prefix: string,
  root: string,
  options: TreeOptions & { overwrite: boolean },
): Promise<TreeReport> {
  const report = emptyReport();
  const byRel = new Map<string, { entry: FileEntry; path: string }>();
  for (const entry of remote) {
    const local = localPathFor(root, entry.name, prefix);
    if ('problem' in local) {
      report.failed.push({ name: entry.name, message: `not saved: the name ${local.problem}` });
      continue;
    }
    byRel.set(entry.name.slice(prefix.length), { entry, path: local.path });
  }
  const source = new Map<string, SideEntry>(
    [...byRel].map(([rel, { entry }]) => [rel, { size: entry.size, sha256: entry.sha256 }]),
  );
  const local = await localFiles(root);
  let plan = planSync(source, options.skipUnchanged ? local : new Map(), { delete: false });
  if (options.delete) plan.remove = planSync(source, local, { delete: true }).remove;
  plan = await settle(plan, options.transfers, async (rel) => {
    const there = local.get(rel);
    const sha256 = byRel.get(rel)?.entry.sha256;
    if (there === undefined || sha256 === undefined) return undefined;
    return { source: sha256, target: await hashFile(there.path) };
  });
  report.unchanged = plan.unchanged.length;
  const downloads: { entry: FileEntry; path: string; exists: boolean }[] = [];
  for (const rel of plan.copy) {
    const item = byRel.get(rel);
    if (item === undefined) continue;
    const exists = local.has(rel);
    if (exists && !options.overwrite) {
      report.failed.push({
        name: item.entry.name,
        message: `${item.path} already exists and differs — use --force to overwrite`,
      });
      continue;
    }
    downloads.push({ ...item, exists });
  }
  for (const failure of report.failed) {
    context.io.stderr.write(`dfs: ${failure.name}: ${failure.message}\n`);
  }
  const removals = plan.remove.map((rel) => local.get(rel)?.path ?? join(root, rel));
  if (options.dryRun) {
    if (!context.json) printDownloadPlan(context, downloads, removals);
    report.copied = downloads.map((item) => item.path);
    report.bytes = downloads.reduce((sum, item) => sum + item.entry.size, 0);
    report.removed = removals;
    return report;
  }
  const got = await runBatch(
    context,
    downloads,
    {
      transfers: options.transfers,
      verb: 'downloading',
      nameOf: (item) => item.entry.name,
      sizeOf: (item) => item.entry.size,
    },
    async (item, onBytes) => {
      await mkdir(dirname(item.path), { recursive: true });
      const moved = deltas(onBytes);
      return context.client.getToFile(item.entry.name, item.path, {
        ...context.abortable,
        overwrite: item.exists || options.overwrite,
        onProgress: ({ loaded }) => moved(loaded),
      });
    },
  );
  report.copied = got.done.map(({ item }) => item.path);
  report.bytes = got.done.reduce((sum, { result }) => sum + result.size, 0);
  report.failed.push(...failures(got.failed, (item) => item.entry.name));
  report.elapsedMs = got.elapsedMs;
  for (const path of removals) {
    try {
      await unlink(path);
      report.removed.push(path);
    } catch (error) {
      const message = `could not delete ${path}: ${(error as Error).message}`;
      report.failed.push({ name: path, message });
      context.io.stderr.write(`dfs: ${message}\n`);
    }
  }
  return report;
}

/** `3 uploaded (12 KiB) in 1.2 s, 250 files/s; 5 unchanged; 1 deleted; 2 failed`. */
export function formatTreeSummary(report: TreeReport, verb: string): string {
  const parts = [`${report.copied.length} ${verb} (${formatBytes(report.bytes)})`];
  if (report.elapsedMs > 0 && report.copied.length > 0) {
    const seconds = report.elapsedMs / 1000;
    parts[0] += ` in ${seconds.toFixed(1)} s, ${Math.round(report.copied.length / seconds)} files/s`;
  }
  if (report.unchanged > 0) parts.push(`${report.unchanged} unchanged`);
  if (report.removed.length > 0) parts.push(`${report.removed.length} deleted`);
  if (report.failed.length > 0) parts.push(`${report.failed.length} failed`);
  return parts.join('; ');
}

function printUploadPlan(
  context: CommandContext,
  uploads: readonly LocalFile[],
  removals: readonly string[],
): void {
  for (const file of uploads) context.out(`upload  ${file.name}  (${formatBytes(file.size)})\n`);
  for (const name of removals) context.out(`delete  ${name}\n`);
}

function printDownloadPlan(
  context: CommandContext,
  downloads: readonly { entry: FileEntry; path: string }[],
  removals: readonly string[],
): void {
  for (const item of downloads) {
    context.out(`download  ${item.entry.name} → ${item.path}  (${formatBytes(item.entry.size)})\n`);
  }
  for (const path of removals) context.out(`delete  ${path}\n`);
}

/**
 * Running a multi-file command's transfers in parallel (`--transfers N`): a bounded pool, one
 * overall progress bar with files and bytes, each failure reported on its own line as it happens
 * while the other files carry on, and a summary for the caller. Ctrl-C stops starting new files.
 */
import pLimit from 'p-limit';
import type { CommandContext } from './context.js';
import { explain } from './problems.js';
import { createBatchProgress, shouldShowProgress, type BatchProgress } from './progress.js';

/** Parallel transfers when the user does not say: enough to hide per-request latency. */
export const DEFAULT_TRANSFERS = 8;
/** The most `--transfers` accepts: more only queues on the node. */
export const MAX_TRANSFERS = 256;

export interface BatchFailure<I> {
  item: I;
  message: string;
}

export interface BatchOutcome<I, R> {
  /** Results in the items' order (of those that succeeded). */
  done: { item: I; result: R }[];
  failed: BatchFailure<I>[];
  /** Wall-clock ms the batch took. */
  elapsedMs: number;
}

export interface BatchOptions<I> {
  transfers: number;
  /** `uploading`, `downloading`, …: the bar's label. */
  verb: string;
  /** The dfs name an item is about (for messages). */
  nameOf(item: I): string;
  /** Its size in bytes (for the bar's total). */
  sizeOf(item: I): number;
}

export type BatchWork<I, R> = (item: I, onBytes: (count: number) => void) => Promise<R>;

/**
 * Runs `work` for every item, at most `options.transfers` at a time. `onDone` runs for each success
 * as it lands (print result lines through `progress.print`). Never rejects for an item's failure;
 * rejects only when the run was interrupted.
 */
export async function runBatch<I, R>(
  context: CommandContext,
  items: readonly I[],
  options: BatchOptions<I>,
  work: BatchWork<I, R>,
  onDone?: (item: I, result: R, progress: BatchProgress) => void,
): Promise<BatchOutcome<I, R>> {
  const startedAt = context.io.now();
  const progress = createBatchProgress(
    context.io.stderr,
    shouldShowProgress(context.io.stderr, context) && items.length > 0,
    {
      files: items.length,
      bytes: items.reduce((sum, item) => sum + options.sizeOf(item), 0),
      verb: options.verb,
    },
    context.io.now,
  );
  const limit = pLimit(options.transfers);
  const results: ({ item: I; result: R } | undefined)[] = items.map(() => undefined);
  const failed: BatchFailure<I>[] = [];
  const signal = context.io.signal;
  try {
    await Promise.all(
      items.map((item, index) =>
        limit(async () => {
          if (signal?.aborted) return;
          try {
            const result = await work(item, (count) => progress.addBytes(count));
            results[index] = { item, result };
            onDone?.(item, result, progress);
          } catch (error) {
            if (signal?.aborted) return;
            const { message } = explain(error, {
              nodes: context.nodes,
              name: options.nameOf(item),
            });
            failed.push({ item, message });
            progress.print(context.io.stderr, `dfs: ${options.nameOf(item)}: ${message}\n`);
          } finally {
            progress.fileDone();
          }
        }),
      ),
    );
  } finally {
    progress.stop();
  }
  signal?.throwIfAborted();
  return {
    done: results.filter((entry) => entry !== undefined),
    failed,
    elapsedMs: context.io.now() - startedAt,
  };
}

/** `bytes` as deltas from a callback that reports a running total (the client's onProgress). */
export function deltas(onBytes: (count: number) => void): (loaded: number) => void {
  let last = 0;
  return (loaded) => {
    if (loaded > last) onBytes(loaded - last);
    last = Math.max(last, loaded);
  };
}

/**
 * Transfer progress on stderr: a cli-progress bar with size, speed and ETA, shown only when stderr
 * is a terminal and the user did not ask for --quiet or --json. Otherwise a no-op, so pipes and
 * logs never see cursor codes.
 */
import cliProgress from 'cli-progress';
import { formatBytes, formatRate } from './format.js';
import type { OutputStream } from './io.js';

export interface ProgressReporter {
  /** Starts (or restarts) the bar for `total` bytes, unknown when undefined. */
  start(total: number | undefined, label: string): void;
  /** Sets the bytes done so far. */
  update(loaded: number, label?: string): void;
  stop(): void;
}

export function shouldShowProgress(
  stderr: OutputStream,
  options: { quiet: boolean; json: boolean },
): boolean {
  return stderr.isTTY === true && !options.quiet && !options.json;
}

const silent: ProgressReporter = {
  start() {},
  update() {},
  stop() {},
};

/** Keeps labels short enough that the bar fits an 80-column terminal. */
function shortLabel(label: string): string {
  return label.length > 24 ? `…${label.slice(-23)}` : label;
}

export function createProgress(
  stderr: OutputStream,
  enabled: boolean,
  now: () => number = Date.now,
): ProgressReporter {
  if (!enabled) return silent;
  let bar: cliProgress.SingleBar | undefined;
  let startedAt = 0;
  let total: number | undefined;
  let label = '';
  const payload = (loaded: number) => ({
    label: shortLabel(label),
    done: formatBytes(loaded),
    size: total === undefined ? '?' : formatBytes(total),
    speed: formatRate(loaded, now() - startedAt),
  });
  return {
    start(newTotal, newLabel) {
      bar?.stop();
      total = newTotal;
      label = newLabel;
      startedAt = now();
      const known = newTotal !== undefined;
      bar = new cliProgress.SingleBar(
        {
          stream: stderr,
          format: known
            ? '{label} [{bar}] {percentage}% | {done}/{size} | {speed} | ETA {eta_formatted}'
            : '{label} {done} | {speed}',
          barsize: 24,
          hideCursor: true,
          // Cleared when done so the result line printed next stands alone.
          clearOnComplete: true,
          etaBuffer: 20,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(newTotal ?? 0, 0, payload(0));
    },
    update(loaded, newLabel) {
      if (newLabel !== undefined) label = newLabel;
      bar?.update(loaded, payload(loaded));
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * One bar for a multi-file transfer: files done of all, bytes done of all, speed and ETA. Result
 * lines printed while it runs go through `print`, which clears the bar's line first so the bar
 * redraws below them instead of being mixed into them.
 */
export interface BatchProgress {
  /** Bytes moved (of any file) since the last call. */
  addBytes(count: number): void;
  /** One more file finished (done, skipped or failed). */
  fileDone(): void;
  /** Writes `text` to `stream` without tearing the bar. */
  print(stream: NodeJS.WritableStream, text: string): void;
  stop(): void;
}

export function createBatchProgress(
  stderr: OutputStream,
  enabled: boolean,
  options: { files: number; bytes: number; verb: string },
  now: () => number = Date.now,
): BatchProgress {
  let files = 0;
  let bytes = 0;
  if (!enabled) {
    return {
      addBytes() {},
      fileDone() {},
      print: (stream, text) => stream.write(text),
      stop() {},
    };
  }
  const startedAt = now();
  const bar = new cliProgress.SingleBar(
    {
      stream: stderr,
      format: `${options.verb} [{bar}] {files}/{totalFiles} files | {done}/{size} | {speed} | ETA {eta_formatted}`,
      barsize: 20,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  const payload = () => ({
    files,
    totalFiles: options.files,
    done: formatBytes(bytes),
    size: formatBytes(options.bytes),
    speed: formatRate(bytes, now() - startedAt),
  });
  // Bytes drive the bar; an all-empty batch is driven by files instead.
  const byFiles = options.bytes === 0;
  bar.start(byFiles ? options.files : options.bytes, 0, payload());
  const redraw = () => bar.update(byFiles ? files : bytes, payload());
  return {
    addBytes(count) {
      bytes += count;
      redraw();
    },
    fileDone() {
      files += 1;
      redraw();
    },
    print(stream, text) {
      stderr.write('\r\u001b[K');
      stream.write(text);
      // Forced (the typings omit the flag): cli-progress otherwise skips a line equal to the last.
      (bar as unknown as { render(force: boolean): void }).render(true);
    },
    stop() {
      bar.stop();
    },
  };
}

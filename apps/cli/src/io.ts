/**
 * Everything the CLI touches in the outside world, passed in so commands run in-process in tests
 * with captured output, a fake stdin, a chosen directory and environment.
 */
import type { Readable, Writable } from 'node:stream';

export interface OutputStream extends Writable {
  /** True when the stream is a terminal (progress bars only then). */
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdin: Readable;
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** The process's working directory (see paths.ts for the user's directory). */
  cwd: string;
  /** Wall-clock ms, for ages in listings. */
  now: () => number;
  /** Fires on Ctrl-C / SIGTERM: transfers stop and leave nothing half-written. */
  signal?: AbortSignal;
}

export function processIo(signal?: AbortSignal): CliIo {
  return {
    ...(signal ? { signal } : {}),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    now: Date.now,
  };
}

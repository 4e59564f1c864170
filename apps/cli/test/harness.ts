import { createServer, type AddressInfo } from 'node:net';
import { Readable, Writable } from 'node:stream';
import { runCli } from '../src/cli.js';
import type { CliIo, OutputStream } from '../src/io.js';

export interface CapturedRun {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

export function capture(isTTY = false): { stream: OutputStream; bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      callback();
    },
  }) as OutputStream;
  if (isTTY) {
    stream.isTTY = true;
    stream.columns = 100;
  }
  return { stream, bytes: () => Buffer.concat(chunks) };
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  stdin?: Buffer | string;
  stderrIsTTY?: boolean;
  /** Make stdin look like a terminal (for confirmation prompts). */
  stdinIsTTY?: boolean;
  now?: number;
  signal?: AbortSignal;
}

/** Runs `dfs <argv>` in-process with captured output. */
export async function dfs(argv: readonly string[], options: RunOptions): Promise<CapturedRun> {
  const stdout = capture();
  const stderr = capture(options.stderrIsTTY);
  const stdin = Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]);
  if (options.stdinIsTTY) Object.assign(stdin, { isTTY: true });
  const io: CliIo = {
    stdin,
    stdout: stdout.stream,
    stderr: stderr.stream,
    env: options.env ?? {},
    cwd: options.cwd,
    now: () => options.now ?? Date.now(),
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const code = await runCli(argv, io);
  return {
    code,
    stdout: stdout.bytes().toString('utf8'),
    stdoutBytes: stdout.bytes(),
    stderr: stderr.bytes().toString('utf8'),
  };
}

/** A 127.0.0.1 port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

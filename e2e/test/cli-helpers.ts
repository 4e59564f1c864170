/**
 * Helpers for the CLI end-to-end tests: start real nodes (`node apps/node/dist/main.js`) on free
 * 127.0.0.1 ports with temporary data directories, wait for their `ready` line, and run the built
 * `dfs` bin as a child process. No sleeps: every wait is on an event or a polled condition with a
 * deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const nodeMain = fileURLToPath(new URL('../../apps/node/dist/main.js', import.meta.url));
export const dfsMain = fileURLToPath(new URL('../../apps/cli/dist/main.js', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The environment for children: ours without npm/pnpm script variables (INIT_CWD would leak). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'INIT_CWD' || key.startsWith('npm_')) continue;
    if (key.startsWith('DFS_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface RunningNode {
  address: string;
  dataDir: string;
  process: ChildProcess;
  /** Everything the node wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a node and resolves once it printed its `ready` line. */
export async function startNode(
  options: { peers?: string[]; args?: string[]; readyTimeoutMs?: number } = {},
): Promise<RunningNode> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'dfs-cli-e2e-node-'));
  const child = spawn(
    process.execPath,
    [
      nodeMain,
      address,
      ...(options.peers ?? []),
      '--data',
      dataDir,
      '--log-level',
      'warn',
      ...(options.args ?? []),
    ],
    { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`node ${address} printed no ready line in time:\n${output}`)),
      options.readyTimeoutMs ?? 20_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/ready/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node ${address} exited with ${code} before ready:\n${output}`));
    });
  });
  return {
    address,
    dataDir,
    process: child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 8_000);
        await exited;
        clearTimeout(killer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface DfsRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs the built `dfs` with `args` in `cwd`, feeding `stdin`, and collects everything. */
export function runDfs(
  args: string[],
  options: { cwd: string; env?: Record<string, string>; stdin?: Buffer; timeoutMs?: number },
): Promise<DfsRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [dfsMain, ...args], {
      cwd: options.cwd,
      env: cleanEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dfs ${args.join(' ')} did not finish in time; stderr: ${err}`));
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? Buffer.alloc(0));
  });
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    // Yield between polls; each poll is itself a child process, so this is not a busy loop.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

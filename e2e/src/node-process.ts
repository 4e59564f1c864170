/**
 * Real dfs nodes as child processes, started exactly as users start them (`node
 * apps/node/dist/main.js …`, which is what `pnpm --filter apps/node start` runs), on 127.0.0.1 with
 * free ports and temp data dirs. Every wait is on an event (the `ready` line, process exit) or a
 * polled HTTP condition, each with a deadline.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const nodeMain = path.join(repoRoot, 'apps/node/dist/main.js');

/** Intervals short enough that the suite converges in seconds. */
export const FAST_FLAGS = [
  '--gossip-interval',
  '100ms',
  '--probe-interval',
  '200ms',
  '--anti-entropy-interval',
  '300ms',
  '--log-level',
  'warn',
];

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function tempDir(prefix = 'dfs-e2e-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export interface NodeSpec {
  port: number;
  /** Interface to listen on (default 127.0.0.1); the tests always talk to 127.0.0.1. */
  listenHost?: string;
  dataDir: string;
  peers?: string[];
  /** Extra flags (after the fast ones, so they win). */
  flags?: string[];
  env?: Record<string, string>;
  /** Wait for the ready line (default true). */
  waitReady?: boolean;
}

export class NodeProcess {
  readonly spec: NodeSpec;
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  /** From the ready line. */
  id = '';

  constructor(spec: NodeSpec) {
    this.spec = spec;
    const args = [
      nodeMain,
      `${spec.listenHost ?? '127.0.0.1'}:${spec.port}`,
      ...(spec.peers ?? []),
      '--data',
      spec.dataDir,
      ...FAST_FLAGS,
      ...(spec.flags ?? []),
    ];
    this.child = spawn(process.execPath, args, {
      env: { ...process.env, DFS_CLUSTER_SECRET: '', DFS_API_TOKEN: '', ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    // 'close', not 'exit': 'exit' can fire before the last stdout/stderr chunks are read, and
    // tests read the final log lines (the shutdown path) right after the process ends.
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  get address(): string {
    return `127.0.0.1:${this.spec.port}`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the ready line; rejects if the process exits first or after `timeoutMs`. */
  async ready(timeoutMs = 30_000): Promise<string> {
    const line = await new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const found = this.stdout.split('\n').find((l) => l.includes('ready'));
        if (found) {
          cleanup();
          resolve(found);
        }
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`node exited before ready:\n${this.stderr}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`node not ready within ${timeoutMs} ms:\n${this.stderr}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.child.stdout?.off('data', check);
        this.child.off('close', onExit);
      };
      this.child.stdout?.on('data', check);
      this.child.on('close', onExit);
      check();
    });
    this.id = line.split(/\s+/)[1] ?? '';
    return line;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.running) this.child.kill(signal);
  }
}

export async function startNode(spec: NodeSpec): Promise<NodeProcess> {
  const node = new NodeProcess(spec);
  if (spec.waitReady ?? true) await node.ready();
  return node;
}

/** Start, track and tear down nodes for one test file. */
export class Cluster {
  readonly nodes: NodeProcess[] = [];
  readonly #dirs: string[] = [];

  async dataDir(): Promise<string> {
    const dir = await tempDir();
    this.#dirs.push(dir);
    return dir;
  }

  async start(spec: Partial<NodeSpec> = {}): Promise<NodeProcess> {
    const dataDir = spec.dataDir ?? (await this.dataDir());
    for (let attempt = 1; ; attempt++) {
      const node = new NodeProcess({
        port: spec.port ?? (await freePort()),
        dataDir,
        ...spec,
      } as NodeSpec);
      this.nodes.push(node);
      if (!(spec.waitReady ?? true)) return node;
      try {
        await node.ready();
        return node;
      } catch (error) {
        // freePort() closes the port before the node binds it; on a busy machine another process
        // (often a node's outgoing connection) can take it in between. Only a port we picked is
        // retried; a port the test chose is part of what it tests.
        const stolen = spec.port === undefined && /EADDRINUSE/.test(node.stderr);
        if (!stolen || attempt >= 3) throw error;
      }
    }
  }

  /** Restart a stopped node with the same port and data directory. */
  async restart(node: NodeProcess, spec: Partial<NodeSpec> = {}): Promise<NodeProcess> {
    if (node.running) throw new Error('node is still running');
    return this.start({ ...node.spec, ...spec });
  }

  /**
   * Kill every node started so far (data directories stay until close()). Call after each test:
   * nodes left running keep probing and gossiping every few hundred ms, and a file's later tests
   * would otherwise run on a machine loaded by all the earlier tests' nodes.
   */
  async stopNodes(): Promise<void> {
    const nodes = this.nodes.splice(0);
    for (const node of nodes) node.kill('SIGKILL');
    await Promise.all(nodes.map((n) => n.exited));
  }

  async close(): Promise<void> {
    for (const node of this.nodes) node.kill('SIGKILL');
    await Promise.all(this.nodes.map((n) => n.exited));
    await Promise.all(this.#dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/**
 * Poll `probe` until it returns a value other than undefined, pausing `intervalMs` between tries;
 * fail after `timeoutMs` with the last observation in the message.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  options: {
    timeoutMs?: number;
    intervalMs?: number;
    what?: string;
    probeTimeoutMs?: number;
    /** Extra detail for the failure message (e.g. what was last seen). */
    describe?: () => string;
  } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      // One hung request (a node stalled or stopped mid-answer) must not stall the loop past its
      // deadline: each try gets its own bound, so the deadline is always checked.
      const value = await withTimeout(probe(), options.probeTimeoutMs ?? 5_000);
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${options.what ?? 'condition'} not met in time; last error: ${String(last)}` +
          (options.describe ? `\n${options.describe()}` : ''),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

/** `promise`, or a rejection after `ms`; the timer never outlives the race. */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** The last `lines` lines a node wrote to stderr, for failure messages. */
export function stderrTail(node: NodeProcess, lines = 20): string {
  return node.stderr.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * The node's stop sequence: a fixed order of steps, each with a deadline on the injected clock, so a
 * slow or hung peer or disk cannot hold up the steps after it, and the whole stop stays within the
 * exit promise (5 s) even when every step overruns.
 */
import type http from 'node:http';
import type { Logger } from 'pino';
import type { Membership } from '@dfs/peer-discovery';
import type { Clock, Timer } from '@dfs/transport';
import type { MembershipTunables, ShutdownTunables } from './config.js';

export interface ShutdownReport {
  /** Milliseconds from close() to the last step. */
  ms: number;
  /** Steps abandoned at their deadline (empty on the normal path). */
  overran: string[];
}

/**
 * Runs shutdown steps, each with a deadline on the injected clock, and logs how long each took:
 * the log shows where shutdown time goes, and one hung step cannot hold up the ones after it.
 */
export class ShutdownSteps {
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #began: number;
  readonly #overran: string[] = [];

  constructor(clock: Clock, log: Logger) {
    this.#clock = clock;
    this.#log = log;
    this.#began = clock.now();
  }

  /** Resolves when `work` settles or after `timeoutMs`, whichever is first; never rejects. */
  async run(
    name: string,
    timeoutMs: number,
    work: () => Promise<unknown> | unknown,
  ): Promise<void> {
    const startedAt = this.#clock.now();
    let timer: Timer | undefined;
    const deadline = new Promise<'overran'>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve('overran'), timeoutMs);
    });
    const done = (async () => {
      try {
        await work();
      } catch (error) {
        this.#log.warn({ err: error, step: name }, 'shutdown step failed');
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([done, deadline]);
    timer?.cancel();
    const fields = {
      step: name,
      ms: this.#clock.now() - startedAt,
      sinceStop: this.#clock.now() - this.#began,
    };
    if (outcome === 'overran') {
      this.#overran.push(name);
      this.#log.warn(fields, 'shutdown step overran its deadline; moving on');
    } else {
      this.#log.info(fields, 'shutdown step done');
    }
  }

  report(): ShutdownReport {
    return { ms: this.#clock.now() - this.#began, overran: [...this.#overran] };
  }
}

/** What the stop sequence closes, in the order it closes them. */
export interface StoppableParts {
  listeners: readonly { close(): Promise<void> }[];
  httpServer: http.Server;
  members: Pick<Membership, 'leave' | 'stop'>;
  files: { stop(): Promise<void> };
  /**
   * Placement (nodes table sync, tick timer, the table file): stopped before replication stops,
   * closed after it (the engine asks placement until it has stopped). Within the replication step.
   */
  placement?: { stop(): void; close(): Promise<void> };
  transport: { close(): Promise<void> };
  store: { close(): Promise<void> };
  unlock: () => Promise<void>;
}

export interface StopDeadlines {
  shutdown: ShutdownTunables;
  membership: Pick<MembershipTunables, 'leaveAckTimeoutMs'>;
}

/**
 * The stop sequence when every step overruns: listeners, then the parallel group (its longest
 * member is the leave step), then transport, store and data lock. Must stay below `forcedExitMs`,
 * so the forced exit in main.ts stays a backstop rather than the normal path.
 */
export function worstCaseShutdownMs({ shutdown, membership }: StopDeadlines): number {
  const leaveStepMs = membership.leaveAckTimeoutMs + shutdown.leaveStepGraceMs;
  return 4 * shutdown.stepDeadlineMs + Math.max(leaveStepMs, shutdown.stepDeadlineMs);
}

/** Stops accepting, then ends HTTP exchanges and closes every socket the server still holds. */
export async function closeHttpServer(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** Runs the stop sequence; the caller has already refused new work and aborted its signal. */
export async function stopParts(
  parts: StoppableParts,
  deadlines: StopDeadlines,
  clock: Clock,
  log: Logger,
): Promise<ShutdownReport> {
  const { stepDeadlineMs, leaveStepGraceMs } = deadlines.shutdown;
  const steps = new ShutdownSteps(clock, log);
  await steps.run('listeners', stepDeadlineMs, () =>
    Promise.all(parts.listeners.map((listener) => listener.close())),
  );
  parts.httpServer.closeIdleConnections();
  // Independent of each other, so in parallel: telling peers we leave (bounded by
  // leaveAckTimeoutMs inside membership; peers already gone or leaving answer at once or not at
  // all, and are not waited for beyond it), aborting transfers, and ending HTTP exchanges (their
  // handlers saw the shutdown signal).
  await Promise.all([
    steps.run('leave', deadlines.membership.leaveAckTimeoutMs + leaveStepGraceMs, async () => {
      try {
        await parts.members.leave();
      } finally {
        await parts.members.stop();
      }
    }),
    steps.run('replication', stepDeadlineMs, async () => {
      parts.placement?.stop();
      try {
        await parts.files.stop();
      } finally {
        await parts.placement?.close();
      }
    }),
    steps.run('http', stepDeadlineMs, () => closeHttpServer(parts.httpServer)),
  ]);
  // Last on the wire: membership and replication are done with it. Drains what peers still have
  // in flight, bounded by the transport's drain timeout.
  await steps.run('transport', stepDeadlineMs, () => parts.transport.close());
  await steps.run('store', stepDeadlineMs, () => parts.store.close());
  await steps.run('data-lock', stepDeadlineMs, parts.unlock);
  return steps.report();
}

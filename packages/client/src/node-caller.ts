/**
 * One API call against a list of nodes: failover when a node is unreachable, retries with
 * exponential backoff and jitter for idempotent calls only, and errors mapped to DfsClientError.
 *
 * The rules, and why:
 * - A connection that was never established (refused, unresolvable, unroutable) means the request
 *   was not sent, so trying the next node is safe for every call, as long as the body can be sent
 *   again (bytes, text, a file path) or was not touched yet.
 * - Anything that broke after the request was sent, and 502/503 answers, are retried (on the next
 *   node, then after a backoff) only for idempotent calls (GET, HEAD, list, cluster, health): a PUT
 *   or DELETE that may have been applied is reported, never silently repeated.
 */
import { setTimeout as wait } from 'node:timers/promises';
import { backoffDelay } from '@dfs/base';
import { DfsClientError } from './errors.js';
import type { PreparedBody } from './body.js';
import { toFetchStream } from './body.js';
import { displayNode } from './nodes.js';

export type FetchFunction = typeof globalThis.fetch;

/** Waits `ms`, rejecting when `signal` fires. Injectable so tests need no real time. */
export type SleepFunction = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryPolicy {
  /** Extra rounds over the node list after the first one. */
  retries: number;
  /** Backoff before round n (1-based) is `min(maxDelayMs, baseDelayMs * 2^(n-1))`, jittered. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface CallSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE' | 'POST';
  /** Path and query, starting with `/`. */
  path: string;
  idempotent: boolean;
  headers?: Record<string, string>;
  body?: PreparedBody;
  onBodyBytes?: (count: number) => void;
  signal?: AbortSignal;
  /** Statuses worth another attempt for idempotent calls. Default 502 and 503. */
  retryStatuses?: readonly number[];
}

export interface CallAnswer {
  response: Response;
  /** Base URL of the node that answered. */
  node: string;
}

/** Error codes (on the error or anywhere in its cause chain) meaning no connection was made. */
const NOT_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCodes(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 5) return [];
  const codes: string[] = [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') codes.push(code);
  if (Array.isArray(errors))
    for (const inner of errors) codes.push(...errorCodes(inner, depth + 1));
  codes.push(...errorCodes(cause, depth + 1));
  return codes;
}

/** True when the failure happened before a connection existed: the request was never sent. */
export function isNotConnected(error: unknown): boolean {
  // fetch refuses the spec's "bad ports" (1, 9, 6000, …) before connecting.
  if (
    error instanceof Error &&
    error.cause instanceof Error &&
    error.cause.message === 'bad port'
  ) {
    return true;
  }
  const codes = errorCodes(error);
  return codes.length > 0 && codes.some((code) => NOT_CONNECTED.has(code));
}

function abortError(signal: AbortSignal): DfsClientError {
  return new DfsClientError('ERR_ABORTED', 'the request was aborted', { cause: signal.reason });
}

export class NodeCaller {
  /** Index of the node that answered last; calls start there (sticky, so caches stay warm). */
  private preferred = 0;

  constructor(
    readonly nodes: readonly string[],
    private readonly headers: Record<string, string>,
    private readonly policy: RetryPolicy,
    private readonly fetchFn: FetchFunction,
    private readonly sleep: SleepFunction,
    private readonly random: () => number,
  ) {}

  /** Nodes in the order the next call will try them. */
  order(): string[] {
    return this.nodes.map((_, i) => this.nodes[(this.preferred + i) % this.nodes.length]!);
  }

  async call(spec: CallSpec): Promise<CallAnswer> {
    const retryStatuses = spec.retryStatuses ?? [502, 503];
    // The latest 502/503 answer, kept unread so it can be returned if no other node does better.
    let lastRetryable: CallAnswer | undefined;
    let lastBroken: DfsClientError | undefined;
    let bodyConsumed = false;
    const tried = new Set<string>();
    const discard = (answer: CallAnswer | undefined): void => {
      answer?.response.body?.cancel().catch(() => undefined);
    };
    for (let round = 0; round <= this.policy.retries; round++) {
      if (round > 0) {
        // A stream body that was read from cannot be sent again.
        if (bodyConsumed) break;
        await this.backoff(round, spec.signal);
      }
      for (const node of this.order()) {
        if (spec.signal?.aborted) {
          discard(lastRetryable);
          throw abortError(spec.signal);
        }
        if (bodyConsumed) break;
        tried.add(node);
        const attempt = await this.attempt(node, spec);
        if (spec.body && !spec.body.replayable && attempt.touched) bodyConsumed = true;
        if (attempt.kind === 'answer') {
          const answer = { response: attempt.response, node };
          if (spec.idempotent && retryStatuses.includes(answer.response.status)) {
            discard(lastRetryable);
            lastRetryable = answer;
            continue;
          }
          discard(lastRetryable);
          this.preferred = this.nodes.indexOf(node);
          return answer;
        }
        if (attempt.kind === 'not-connected') {
          if (bodyConsumed) throw attempt.error;
          continue;
        }
        // Broke after sending: repeat only what is safe to repeat.
        if (!spec.idempotent || bodyConsumed) {
          discard(lastRetryable);
          throw attempt.error;
        }
        lastBroken = attempt.error;
      }
    }
    if (lastRetryable) return lastRetryable;
    if (lastBroken) throw lastBroken;
    const list = [...tried].map(displayNode).join(', ');
    throw new DfsClientError(
      'ERR_UNREACHABLE',
      `no node at ${list} answered (connection refused or host unknown)`,
      { nodesTried: [...tried] },
    );
  }

  private async backoff(round: number, signal: AbortSignal | undefined): Promise<void> {
    // Equal jitter: at least half the ceiling, so retries from many clients spread out but never
    // collapse to zero.
    const ms = Math.round(
      backoffDelay(round - 1, {
        baseMs: this.policy.baseDelayMs,
        maxMs: this.policy.maxDelayMs,
        random: () => this.random(),
        jitter: 'equal',
      }),
    );
    try {
      await this.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw abortError(signal);
      throw error;
    }
  }

  private async attempt(
    node: string,
    spec: CallSpec,
  ): Promise<
    | { kind: 'answer'; response: Response; touched: boolean }
    | { kind: 'not-connected'; error: DfsClientError; touched: boolean }
    | { kind: 'broken'; error: DfsClientError; touched: boolean }
  > {
    const headers: Record<string, string> = { ...this.headers, ...spec.headers };
    let touched = () => false;
    const init: RequestInit & { duplex?: 'half' } = {
      method: spec.method,
      headers,
      redirect: 'error',
    };
    if (spec.signal) init.signal = spec.signal;
    let sentWhole = 0;
    if (spec.body?.whole) {
      const bytes = await spec.body.whole();
      init.body = bytes;
      headers['content-length'] = String(bytes.length);
      sentWhole = bytes.length;
      touched = () => true;
    } else if (spec.body) {
      const { stream, touched: wasTouched } = toFetchStream(
        spec.body.open(),
        spec.onBodyBytes ?? (() => undefined),
      );
      touched = wasTouched;
      init.body = stream;
      init.duplex = 'half';
      if (spec.body.size !== undefined) headers['content-length'] = String(spec.body.size);
    }
    try {
      const response = await this.fetchFn(`${node}${spec.path}`, init);
      // A whole body was sent by the time an answer came back: count it then, in one step.
      if (sentWhole > 0) spec.onBodyBytes?.(sentWhole);
      return { kind: 'answer', response, touched: touched() };
    } catch (error) {
      if (spec.signal?.aborted) throw abortError(spec.signal);
      if (isNotConnected(error)) {
        return {
          kind: 'not-connected',
          touched: touched(),
          error: new DfsClientError(
            'ERR_UNREACHABLE',
            `no node at ${displayNode(node)}: ${describe(error)}`,
            { node, cause: error },
          ),
        };
      }
      return {
        kind: 'broken',
        touched: touched(),
        error: new DfsClientError(
          'ERR_NETWORK',
          `connection to ${displayNode(node)} failed: ${describe(error)}`,
          { node, cause: error },
        ),
      };
    }
  }
}

/** The most specific message in a fetch error's cause chain ("fetch failed" says nothing). */
function describe(error: unknown): string {
  let current: unknown = error;
  let message = 'unknown error';
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}

export const defaultSleep: SleepFunction = async (ms, signal) => {
  await wait(ms, undefined, signal ? { signal } : {});
};

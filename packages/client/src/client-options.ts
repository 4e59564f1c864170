/**
 * The options of `DfsClient`: of the client itself (nodes, token, retries, the injectable fetch,
 * sleep and random) and of each call.
 */
import type { FetchFunction, SleepFunction } from './node-caller.js';
import type { ByteRange, ProgressCallback } from './types.js';

export interface DfsClientOptions {
  /** Node addresses (`host:port`, `http(s)://host:port`, or comma-separated). Default `127.0.0.1:4001`. */
  nodes?: string | readonly string[];
  /** API token, sent as `Authorization: Bearer <token>`. Default: none. */
  token?: string;
  /** Extra rounds over the node list for idempotent calls. Default 2. */
  retries?: number;
  /** First backoff between rounds, doubled each round. Default 100 ms. */
  retryDelayMs?: number;
  /** Backoff ceiling. Default 2000 ms. */
  maxRetryDelayMs?: number;
  /** The fetch implementation. Default: Node's global fetch (undici). */
  fetch?: FetchFunction;
  /** How to wait between retries. Default: a real timer (node:timers/promises). */
  sleep?: SleepFunction;
  /** Random source for backoff jitter, in [0, 1). Default Math.random. */
  random?: () => number;
  /** Sent as User-Agent. Default `@dfs/client`. */
  userAgent?: string;
}

export interface PutOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Wait until this many nodes hold the file (`?w=N`); a 504 means the write still stands. */
  w?: number;
  /** Byte length of a stream body, when known: sent as Content-Length so oversize fails early. */
  size?: number;
}

export interface GetOptions {
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  range?: ByteRange;
}

export interface GetToFileOptions extends Omit<GetOptions, 'range'> {
  /** Replace an existing file at the target. Default false (ERR_EXISTS). */
  overwrite?: boolean;
  /** Check the bytes against the announced sha256. Default true. */
  verify?: boolean;
}

export interface ListOptions {
  prefix?: string;
  /** Page size (the node caps it). */
  limit?: number;
  /** Opaque cursor from a previous page's `next`. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface CallOptions {
  signal?: AbortSignal;
}

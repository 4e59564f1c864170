/** What every S3 route gets: the request, its verified identity and address, and the node's parts. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { FileService } from '@dfs/replication';
import type { VerifiedRequest } from '@dfs/s3';
import type { Clock } from '@dfs/transport';
import type { MultipartUploads } from './multipart-store.js';

export interface S3Options {
  files: FileService;
  /** Access key id → secret. */
  keys: ReadonlyMap<string, string>;
  region: string;
  /** Enables virtual-host-style addressing under this domain. */
  domain?: string;
  clock: Clock;
  logger: Logger;
  maxFileSize: number;
  /** Stops every request's work when the node shuts down. */
  shutdown: AbortSignal;
  uploads: MultipartUploads;
}

export interface S3Context {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  bucket?: string;
  key?: string;
  verified: VerifiedRequest;
  requestId: string;
  signal: AbortSignal;
}

export type S3Route = (ctx: S3Context) => Promise<void>;

/**
 * Starts the S3 endpoint of a node (`--s3`): loads the access keys, opens the multipart uploads
 * directory (`<data>/s3-uploads`), and serves the S3 listener on its own node:http server with the
 * same slowloris guards as the API's. `close()` stops it (in-flight requests were aborted through
 * the shutdown signal first).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import type { FileService } from '@dfs/replication';
import type { Clock } from '@dfs/transport';
import type { S3Config } from '../cli/options.js';
import type { HttpTunables } from '../config.js';
import { NodeError } from '../errors.js';
import { closeHttpServer } from '../shutdown.js';
import { loadS3Keys } from './keys.js';
import { MultipartUploads } from './multipart-store.js';
import { createS3Listener } from './server.js';

export interface RunningS3 {
  /** `host:port` it listens on. */
  address: string;
  region: string;
  close(): Promise<void>;
}

export interface StartS3Options {
  config: S3Config;
  files: FileService;
  dataDir: string;
  clock: Clock;
  logger: Logger;
  maxFileSize: number;
  shutdown: AbortSignal;
  limits: HttpTunables;
}

export async function startS3(options: StartS3Options): Promise<RunningS3> {
  const { config, limits } = options;
  const keys = await loadS3Keys(config);
  const uploads = new MultipartUploads(
    path.join(options.dataDir, 's3-uploads'),
    options.clock,
    options.maxFileSize,
  );
  await uploads.start();
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    noDelay: true,
  });
  server.timeout = limits.idleSocketTimeoutMs;
  server.on('clientError', (_error, socket) => socket.destroy());
  server.on(
    'request',
    createS3Listener({
      files: options.files,
      keys,
      region: config.region,
      ...(config.domain === undefined ? {} : { domain: config.domain }),
      clock: options.clock,
      logger: options.logger,
      maxFileSize: options.maxFileSize,
      shutdown: options.shutdown,
      uploads,
    }),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    uploads.stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new NodeError(
      'ERR_STARTUP',
      `cannot listen for S3 on ${config.listen.host}:${config.listen.port}: ${reason}`,
    );
  }
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `${host}:${bound.port}`,
    region: config.region,
    async close() {
      uploads.stop();
      await closeHttpServer(server);
    },
  };
}

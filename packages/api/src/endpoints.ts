/**
 * The endpoints' paths and the bounds of their query parameters. Paths are versioned (`/v1/…`); a
 * change that breaks a client gets a new prefix, never a changed meaning under the old one.
 */
import { encodeName } from './names.js';

export const PATHS = {
  /** `GET`: one page of live files (`?prefix=&limit=&cursor=`). */
  files: '/v1/files',
  /** Prefix of a file's path; the percent-encoded name follows. */
  filePrefix: '/v1/files/',
  /** `GET`: the answering node's view of the membership. */
  cluster: '/v1/cluster',
  /** `GET` or `HEAD`: 200 when serving, 503 while starting or stopping. Never needs a token. */
  health: '/v1/health',
  /** `GET`: Prometheus text. */
  metrics: '/metrics',
} as const;

/** `/v1/files/<name>` with the name percent-encoded per segment. */
export function filePath(name: string): string {
  return `${PATHS.filePrefix}${encodeName(name)}`;
}

/** `GET /v1/files?limit=`: the page size when `limit` is absent, and the largest one allowed. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/** `PUT ?w=N`: the largest N a node accepts. */
export const MAX_WRITE_HOLDERS = 1000;

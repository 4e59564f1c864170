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
  /** `GET`: every member with the stats it reports about itself (files, bytes, disk, transfers). */
  status: '/v1/status',
  /** `GET` or `HEAD`: 200 when serving, 503 while starting or stopping. Never needs a token. */
  health: '/v1/health',
  /** Prefix of a member's operator actions: `POST /v1/nodes/<id>/drain` and `…/remove`. */
  nodePrefix: '/v1/nodes/',
  /** `POST ?name=&size=&sha256=`: create a resumable upload session (uploads.ts has the rest). */
  uploads: '/v1/uploads',
  /** `GET`: Prometheus text. */
  metrics: '/metrics',
} as const;

/** `/v1/files/<name>` with the name percent-encoded per segment. */
export function filePath(name: string): string {
  return `${PATHS.filePrefix}${encodeName(name)}`;
}

/** What an operator can do to a member: hand its files off (`drain`) or take it out (`remove`). */
export const NODE_ACTIONS = ['drain', 'remove'] as const;
export type NodeAction = (typeof NODE_ACTIONS)[number];

/** `/v1/nodes/<id>/<action>` with the id percent-encoded. */
export function nodeActionPath(id: string, action: NodeAction): string {
  return `${PATHS.nodePrefix}${encodeURIComponent(id)}/${action}`;
}

/** `/v1/nodes/<id>/<action>` → its parts, or undefined when the path is not of that shape. */
export function parseNodeActionPath(path: string): { id: string; action: NodeAction } | undefined {
  if (!path.startsWith(PATHS.nodePrefix)) return undefined;
  const match = /^([^/]+)\/([a-z]+)$/.exec(path.slice(PATHS.nodePrefix.length));
  const action = NODE_ACTIONS.find((a) => a === match?.[2]);
  if (!match?.[1] || action === undefined) return undefined;
  try {
    return { id: decodeURIComponent(match[1]), action };
  } catch {
    return undefined;
  }
}

/** `GET /v1/files?limit=`: the page size when `limit` is absent, and the largest one allowed. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/**
 * `PUT ?w=N`: the largest N any node accepts. A node with placement accepts at most its
 * replication factor R (400 above).
 */
export const MAX_WRITE_HOLDERS = 1000;

/**
 * `GET /v1/events`: the node's live event stream (server-sent events, `text/event-stream`, same
 * bearer token as every /v1 endpoint). Each message is `event: <type>` plus one `data:` line of
 * JSON; comment lines (`: …`) are heartbeats. A browser reads it with `fetch()` and the
 * Authorization header (EventSource cannot send one), so the token never goes into a URL.
 *
 * The stream is bounded on the node: at most `maxSubscribers` at once (503 beyond), and a
 * subscriber that does not read (its unsent bytes pass a limit) is disconnected; it reconnects and
 * starts from a fresh `hello`.
 */
import type { MemberState } from './schemas.js';
import type { NodeStats } from './status.js';

/** The path of the stream. */
export const EVENTS_PATH = '/v1/events';

/** The `Content-Type` of the stream. */
export const EVENT_STREAM_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

/** This node's own figures in a `stats` event: the status API's `NodeStats`. */
export type LiveStats = NodeStats;

/** The first message of every stream: who answers and how often stats come. */
export interface HelloEvent {
  self: string;
  at: number;
  statsIntervalMs: number;
}

/** A member changed state, incarnation or address, as this node's membership sees it. */
export interface MemberEvent {
  id: string;
  addr: string;
  state: MemberState;
  incarnation: number;
  /** Its state before, absent when it is new to this node. */
  previous?: MemberState;
  at: number;
}

/**
 * A durable change of a file on this node: a new version learned (`put`), a `delete`, this node's
 * copy `stored` (a pull, push or repair finished) or `dropped`.
 */
export interface FileChangeEvent {
  kind: 'put' | 'delete' | 'stored' | 'dropped';
  name: string;
  version: string;
  size: number;
  /** Whether this node holds the body after the change. */
  local: boolean;
  at: number;
}

/** Every `statsIntervalMs` while someone listens. */
export interface StatsEvent {
  self: string;
  at: number;
  stats: LiveStats;
  /** Live files with fewer than R confirmed copies, as this node's index knows. */
  underReplicated: number;
}

/** The stream's message types and their data. */
export interface LiveEventMap {
  hello: HelloEvent;
  member: MemberEvent;
  file: FileChangeEvent;
  stats: StatsEvent;
}
export type LiveEventType = keyof LiveEventMap;
export const LIVE_EVENT_TYPES = [
  'hello',
  'member',
  'file',
  'stats',
] as const satisfies readonly LiveEventType[];

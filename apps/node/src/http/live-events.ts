/**
 * `GET /v1/events`: the node's live event stream (server-sent events, docs/api.md). One hub per
 * node fans membership changes, file changes and periodic stats snapshots out to its subscribers.
 *
 * Bounded: at most `maxSubscribers` streams (503 beyond); a subscriber whose unsent bytes pass
 * `maxBufferedBytes` reads too slowly and is disconnected (the socket's buffer is its queue, so a
 * stalled reader costs at most that much memory); a comment line every `heartbeatMs` keeps quiet
 * streams open through proxies and the idle-socket timeout. Stats are assembled only while
 * someone listens.
 */
import type { ServerResponse } from 'node:http';
import {
  EVENT_STREAM_CONTENT_TYPE,
  HEADERS,
  type FileChangeEvent,
  type LiveEventMap,
  type LiveEventType,
  type MemberEvent,
  type StatsEvent,
} from '@dfs/api';
import type { Clock, Timer } from '@dfs/transport';
import type { EventsTunables } from '../config.js';
import { NodeError } from '../errors.js';

/** A membership member as the hub reads it (a subset of @dfs/peer-discovery's `Member`). */
interface SwimMember {
  id: string;
  address: string;
  state: MemberEvent['state'];
  incarnation: number;
}

export interface LiveEventSources {
  selfId: string;
  clock: Clock;
  /** Calls back on each member change; returns the function that stops it. */
  watchMembers(
    listener: (member: SwimMember, previous: SwimMember | undefined) => void,
  ): () => void;
  /** Calls back on each durable file change; returns the function that stops it. */
  watchFiles(listener: (event: Omit<FileChangeEvent, 'at'>) => void): () => void;
  /** This node's figures now. */
  stats(): Promise<Omit<StatsEvent, 'self' | 'at'>>;
  limits: EventsTunables;
  logger: {
    debug(fields: object, message: string): void;
    warn(fields: object, message: string): void;
  };
}

export interface LiveEvents {
  /** Starts a stream on `res` (throws ERR_UNAVAILABLE when full); it ends when the client goes. */
  subscribe(res: ServerResponse): void;
  readonly subscribers: number;
  /** Ends every stream and stops the timers and watchers. */
  close(): void;
}

/** One server-sent event's bytes. JSON has no raw newline, so one `data:` line always suffices. */
export function formatEvent<T extends LiveEventType>(type: T, data: LiveEventMap[T]): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createLiveEvents(sources: LiveEventSources): LiveEvents {
  const { clock, limits, logger, selfId } = sources;
  const streams = new Set<ServerResponse>();
  let statsTimer: Timer | undefined;
  let heartbeatTimer: Timer | undefined;
  let statsRunning = false;
  let closed = false;

  const drop = (res: ServerResponse, why: string): void => {
    if (!streams.delete(res)) return;
    logger.debug({ why }, 'event stream ended');
    res.destroy();
    if (streams.size === 0) stopTimers();
  };

  const write = (res: ServerResponse, text: string): void => {
    if (res.writableLength > limits.maxBufferedBytes) {
      drop(res, 'subscriber too slow');
      return;
    }
    res.write(text);
  };

  const broadcast = <T extends LiveEventType>(type: T, data: LiveEventMap[T]): void => {
    if (streams.size === 0) return;
    const text = formatEvent(type, data);
    for (const res of [...streams]) write(res, text);
  };

  const sendStats = async (): Promise<void> => {
    if (statsRunning || streams.size === 0) return;
    statsRunning = true;
    try {
      const figures = await sources.stats();
      broadcast('stats', { self: selfId, at: clock.now(), ...figures });
    } catch (error) {
      logger.warn({ err: error }, 'could not assemble stats for the event stream');
    } finally {
      statsRunning = false;
    }
  };

  const startTimers = (): void => {
    statsTimer ??= clock.setInterval(() => void sendStats(), limits.statsIntervalMs);
    heartbeatTimer ??= clock.setInterval(() => {
      for (const res of [...streams]) write(res, ': heartbeat\n\n');
    }, limits.heartbeatMs);
  };
  function stopTimers(): void {
    statsTimer?.cancel();
    heartbeatTimer?.cancel();
    statsTimer = undefined;
    heartbeatTimer = undefined;
  }

  const unwatchMembers = sources.watchMembers((member, previous) => {
    broadcast('member', {
      id: member.id,
      addr: member.address,
      state: member.state,
      incarnation: member.incarnation,
      ...(previous ? { previous: previous.state } : {}),
      at: clock.now(),
    });
  });
  const unwatchFiles = sources.watchFiles((event) =>
    broadcast('file', { ...event, at: clock.now() }),
  );

  return {
    get subscribers() {
      return streams.size;
    },
    subscribe(res) {
      if (closed) throw new NodeError('ERR_UNAVAILABLE', 'node is stopping');
      if (streams.size >= limits.maxSubscribers) {
        throw new NodeError(
          'ERR_UNAVAILABLE',
          `too many event streams open (${limits.maxSubscribers}); try again later`,
        );
      }
      res.writeHead(200, {
        [HEADERS.contentType]: EVENT_STREAM_CONTENT_TYPE,
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      // Headers go out now: a client sees the stream open before the first event.
      res.flushHeaders();
      streams.add(res);
      res.on('close', () => drop(res, 'client went away'));
      startTimers();
      write(
        res,
        formatEvent('hello', {
          self: selfId,
          at: clock.now(),
          statsIntervalMs: limits.statsIntervalMs,
        }),
      );
      void sendStats();
    },
    close() {
      closed = true;
      unwatchMembers();
      unwatchFiles();
      stopTimers();
      for (const res of [...streams]) {
        streams.delete(res);
        res.end();
      }
    },
  };
}

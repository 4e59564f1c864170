/**
 * The node's live event stream (`GET /v1/events`) read with fetch() so the token travels in the
 * Authorization header. Reconnects with backoff (1 s doubling to 10 s) when the stream ends, and
 * says whether it is connected, so the page can show it.
 */
import type { LiveEventMap, LiveEventType } from '@dfs/api';
import { ApiError, type Api } from './api.js';
import { SseParser } from './sse.js';

export type LiveHandlers = { [T in LiveEventType]?: (data: LiveEventMap[T]) => void };

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'refused';

export interface LiveConnection {
  close(): void;
}

/**
 * The pause before a reconnect: a retry delay, not a wait for anything. Ends early when the
 * connection is closed, so nothing outlives `close()`.
 */
function backoff(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function connectLive(
  api: Api,
  handlers: LiveHandlers,
  onState: (state: LiveState, detail?: string) => void,
): LiveConnection {
  const controller = new AbortController();
  let delayMs = 1000;

  const dispatch = (type: string, data: string): void => {
    const handler = handlers[type as LiveEventType] as ((value: unknown) => void) | undefined;
    if (handler === undefined) return;
    try {
      handler(JSON.parse(data));
    } catch (error) {
      console.warn('bad event', type, error);
    }
  };

  const run = async (): Promise<void> => {
    onState('connecting');
    while (!controller.signal.aborted) {
      try {
        const res = await api.events(controller.signal);
        const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
        if (reader === undefined) throw new Error('no body');
        onState('live');
        delayMs = 1000;
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const message of parser.feed(value)) dispatch(message.type, message.data);
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) {
          onState('refused', error.message);
          return;
        }
      }
      if (controller.signal.aborted) return;
      onState('reconnecting');
      await backoff(delayMs, controller.signal);
      delayMs = Math.min(delayMs * 2, 10_000);
    }
  };
  void run();
  return { close: () => controller.abort() };
}

import http from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@dfs/transport';
import { DEFAULT_TUNABLES, type EventsTunables } from '../src/config.js';
import { createLiveEvents, formatEvent, type LiveEvents } from '../src/http/live-events.js';
import { startTestApi, type TestApi } from './support/api-server.js';

const TOKEN = 'events-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };

type MemberListener = Parameters<Parameters<typeof createLiveEvents>[0]['watchMembers']>[0];
type FileListener = Parameters<Parameters<typeof createLiveEvents>[0]['watchFiles']>[0];

interface Harness {
  api: TestApi;
  events: LiveEvents;
  clock: VirtualClock;
  member: MemberListener;
  file: FileListener;
  watchers: () => number;
}

let harness: Harness | undefined;
afterEach(async () => {
  harness?.events.close();
  await harness?.api.close();
  harness = undefined;
});

async function start(limits: Partial<EventsTunables> = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const members = new Set<MemberListener>();
  const files = new Set<FileListener>();
  let statsCalls = 0;
  const events = createLiveEvents({
    selfId: 'node-a',
    clock,
    watchMembers: (listener) => {
      members.add(listener);
      return () => members.delete(listener);
    },
    watchFiles: (listener) => {
      files.add(listener);
      return () => files.delete(listener);
    },
    stats: async () => ({
      stats: {
        files: ++statsCalls,
        bytes: 0,
        diskFree: 1,
        diskTotal: 2,
        transfersIn: 0,
        transfersOut: 0,
        backlog: 0,
        bytesIn: 0,
        bytesOut: 0,
        uptime: 0,
      },
      underReplicated: 0,
    }),
    limits: { ...DEFAULT_TUNABLES.events, ...limits },
    logger: pino({ level: 'silent' }),
  });
  const api = await startTestApi({ apiToken: TOKEN, events });
  harness = {
    api,
    events,
    clock,
    member: (m, p) => members.forEach((l) => l(m, p)),
    file: (e) => files.forEach((l) => l(e)),
    watchers: () => members.size + files.size,
  };
  return harness;
}

/** An open stream and the text read from it so far. */
async function subscribe(url: string): Promise<{
  status: number;
  text: () => string;
  until: (part: string) => Promise<void>;
  cancel: () => Promise<void>;
}> {
  const controller = new AbortController();
  const res = await fetch(`${url}/v1/events`, { headers: AUTH, signal: controller.signal });
  let text = '';
  const waiting = new Set<() => void>();
  if (res.ok && res.body) {
    void (async () => {
      try {
        for await (const chunk of res.body!.pipeThrough(new TextDecoderStream())) {
          text += chunk;
          for (const wake of [...waiting]) wake();
        }
      } catch {
        // Cancelled.
      }
    })();
  }
  return {
    status: res.status,
    text: () => text,
    until: (part) =>
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (text.includes(part)) {
            waiting.delete(check);
            resolve();
          }
        };
        waiting.add(check);
        check();
      }),
    cancel: async () => controller.abort(),
  };
}

describe('GET /v1/events', () => {
  it('needs the token like every /v1 endpoint', async () => {
    const { api } = await start();
    const res = await fetch(`${api.url}/v1/events`);
    expect(res.status).toBe(401);
    await res.body?.cancel();
  });

  it('sends hello and stats at once, then member and file changes as they happen', async () => {
    const h = await start();
    const stream = await subscribe(h.api.url);
    expect(stream.status).toBe(200);
    await stream.until('event: stats');
    expect(stream.text()).toMatch(
      /^event: hello\ndata: \{"self":"node-a",.*"statsIntervalMs":2000\}\n\n/,
    );
    h.member(
      { id: 'node-b', address: '127.0.0.1:2', state: 'dead', incarnation: 4 },
      { id: 'node-b', address: '127.0.0.1:2', state: 'suspect', incarnation: 4 },
    );
    await stream.until('event: member');
    expect(stream.text()).toContain(
      'data: {"id":"node-b","addr":"127.0.0.1:2","state":"dead","incarnation":4,"previous":"suspect"',
    );
    h.file({ kind: 'stored', name: 'docs/a', version: 'v1', size: 3, local: true });
    await stream.until('"name":"docs/a"');
    expect(stream.text()).toContain('event: file\ndata: {"kind":"stored","name":"docs/a"');
    await stream.cancel();
  });

  it('pushes stats every interval and a heartbeat comment while quiet', async () => {
    const h = await start({ statsIntervalMs: 1000, heartbeatMs: 5000 });
    const stream = await subscribe(h.api.url);
    await stream.until('"files":1,');
    await h.clock.advance(1000);
    await stream.until('"files":2,');
    expect(stream.text()).not.toContain(': heartbeat');
    await h.clock.advance(4000);
    await stream.until(': heartbeat\n\n');
    await stream.cancel();
  });

  it('holds at most maxSubscribers streams (503 beyond); one that closes frees its place', async () => {
    const h = await start({ maxSubscribers: 2 });
    const first = await subscribe(h.api.url);
    const second = await subscribe(h.api.url);
    const third = await fetch(`${h.api.url}/v1/events`, { headers: AUTH });
    expect(third.status).toBe(503);
    expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(
      /too many event streams/,
    );
    await first.cancel();
    await until(() => h.events.subscribers === 1);
    const again = await subscribe(h.api.url);
    expect(again.status).toBe(200);
    await second.cancel();
    await again.cancel();
  });

  it('disconnects a subscriber that does not read once its unsent bytes pass the limit', async () => {
    const h = await start({ maxBufferedBytes: 64 * 1024 });
    // A client that never reads: the socket's buffers fill, then the response's own queue grows.
    const request = http.get(`${h.api.url}/v1/events`, { headers: AUTH });
    const response = await new Promise<http.IncomingMessage>((resolve) =>
      request.on('response', resolve),
    );
    response.pause();
    await until(() => h.events.subscribers === 1);
    const big = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 2000 && h.events.subscribers > 0; i++) {
      h.file({ kind: 'put', name: big, version: `v${i}`, size: 1, local: false });
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await until(() => h.events.subscribers === 0);
    request.destroy();
  });

  it('close() ends every stream and stops watching', async () => {
    const h = await start();
    const stream = await subscribe(h.api.url);
    await stream.until('event: hello');
    expect(h.watchers()).toBe(2);
    h.events.close();
    expect(h.events.subscribers).toBe(0);
    expect(h.watchers()).toBe(0);
    const res = await fetch(`${h.api.url}/v1/events`, { headers: AUTH });
    expect(res.status).toBe(503);
    await res.body?.cancel();
  });

  it('formats one event per message with a single data line', () => {
    expect(formatEvent('hello', { self: 'a', at: 1, statsIntervalMs: 2 })).toBe(
      'event: hello\ndata: {"self":"a","at":1,"statsIntervalMs":2}\n\n',
    );
    const tricky = formatEvent('file', {
      kind: 'put',
      name: 'line\nbreak',
      version: 'v',
      size: 0,
      local: false,
      at: 0,
    });
    expect(tricky.split('\n').filter((l) => l.startsWith('data: '))).toHaveLength(1);
  });
});

/** Polls `condition` on the event loop (no wall-clock wait) until it holds, up to 2000 turns of 5 ms. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not met');
}

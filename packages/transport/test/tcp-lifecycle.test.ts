import { describe, expect, it } from 'vitest';
import { VirtualClock, type TransportError } from '../src/index.js';
import { deadLoopbackAddress, pollUntil } from './compliance/real-time.js';
import { startedTransports } from './tcp/started.js';

const start = startedTransports();

async function failure(promise: Promise<unknown>): Promise<TransportError> {
  return promise.then(
    () => {
      throw new Error('expected failure');
    },
    (error: TransportError) => error,
  );
}

describe('TcpTransport connection lifecycle', () => {
  it('backs off after failed dials, fails fast meanwhile, and reconnects once the peer is up', async () => {
    const clock = new VirtualClock(0);
    const dead = await deadLoopbackAddress();
    const a = await start({
      id: 'a',
      clock,
      dialAttempts: 1,
      reconnectBaseMs: 1_000,
      reconnectMaxMs: 4_000,
    });
    expect((await failure(a.request(dead, 'ping', null))).code).toBe('ERR_UNREACHABLE');
    const fast = await failure(a.request(dead, 'ping', null));
    expect(fast.code).toBe('ERR_UNREACHABLE');
    expect(fast.message).toMatch(/next attempt in/);
    const port = Number(dead.split(':').pop());
    const b = await start({ id: 'b', clock, port });
    b.handle('ping', () => 'pong');
    await clock.advance(4_000); // past the capped, jittered backoff
    expect(await a.request(dead, 'ping', null)).toBe('pong');
  });

  it('retries within one call with backoff on the injected clock', async () => {
    const clock = new VirtualClock(0);
    const dead = await deadLoopbackAddress();
    const a = await start({
      id: 'a',
      clock,
      dialAttempts: 3,
      reconnectBaseMs: 100,
      reconnectMaxMs: 400,
    });
    let settled = false;
    const call = failure(a.request(dead, 'ping', null, { timeoutMs: 60_000 })).finally(
      () => (settled = true),
    );
    // Real connection refusals arrive on their own; the waits between attempts need virtual time.
    for (let i = 0; i < 50 && !settled; i++) {
      await clock.advance(100);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect((await call).code).toBe('ERR_UNREACHABLE');
    expect(clock.now()).toBeLessThanOrEqual(5_000);
  });

  it('leaves no timers behind after close', async () => {
    const clock = new VirtualClock(0);
    const a = await start({ id: 'a', clock });
    const b = await start({ id: 'b', clock });
    b.handle('ping', () => 'pong');
    b.handleStream('echo', (stream) => void stream.pipe(stream));
    expect(await a.request(b.address, 'ping', null)).toBe('pong');
    const stream = await a.openStream(b.address, 'echo', null);
    stream.resume();
    stream.end('x');
    await new Promise((resolve) => stream.once('end', resolve));
    await Promise.all([a.close(), b.close()]);
    await pollUntil(() => clock.pendingTimers === 0);
    expect(clock.pendingTimers).toBe(0);
  });
});

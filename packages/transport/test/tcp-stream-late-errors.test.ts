/**
 * A reset or a dropped connection may reach a stream after the code using it is done with it (a
 * pipeline finished and removed its listeners), or before the opener has even been handed it (the
 * peer accepted and reset in one packet). Neither may surface as an 'error' event nobody listens
 * to: in a node process that is an uncaught exception that takes the whole node down.
 */
import { pipeline } from 'node:stream/promises';
import { Writable, type Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpTransport, TransportError } from '../src/index.js';
import { pollUntil } from './compliance/real-time.js';

const open: TcpTransport[] = [];
async function start(id: string): Promise<TcpTransport> {
  const transport = new TcpTransport({ id });
  await transport.listen();
  open.push(transport);
  return transport;
}

const uncaught: unknown[] = [];
const onUncaught = (error: unknown): void => {
  uncaught.push(error);
};
afterEach(async () => {
  process.off('uncaughtException', onUncaught);
  uncaught.length = 0;
  await Promise.all(open.splice(0).map((t) => t.close()));
});

/** Vitest reports uncaught exceptions as a failed run; we want to see and assert them instead. */
function watchUncaught(): void {
  process.on('uncaughtException', onUncaught);
}

/** Lets the event loop turn a few times, so any pending 'error' emission has happened. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('TcpStream errors after its user is done', () => {
  it('a reset that arrives after the reader finished its pipeline is not an unheard error', async () => {
    watchUncaught();
    const a = await start('a');
    const b = await start('b');
    let served: Duplex | undefined;
    let readDone = false;
    b.handleStream('sink', (stream) => {
      served = stream;
      // Reads to the end, then is done: pipeline removes its listeners. Never writes back.
      void pipeline(stream, new Writable({ write: (_c, _e, cb) => cb() })).then(
        () => (readDone = true),
      );
    });
    const stream = await a.openStream(b.address, 'sink', null);
    stream.on('error', () => undefined);
    stream.end(Buffer.alloc(1024));
    await pollUntil(() => readDone);
    // The opener gives up on its (never ending) read side: a reset goes to b.
    stream.destroy(new TransportError('ERR_ABORTED', 'opener is done'));
    await pollUntil(() => served?.destroyed === true);
    await settle();
    expect(uncaught).toEqual([]);
  });

  it('a stream reset in the same packet as its accept fails the open instead of throwing later', async () => {
    watchUncaught();
    const a = await start('a');
    const b = await start('b');
    // Destroying synchronously in the handler queues the reset right behind the accept.
    b.handleStream('refuse-late', (stream) => {
      stream.on('error', () => undefined); // the handler's own error is its own business
      stream.destroy(new TransportError('ERR_ABORTED', 'handler changed its mind'));
    });
    const outcome = await a.openStream(b.address, 'refuse-late', null).then(
      (stream) => stream,
      (error: unknown) => error,
    );
    await settle();
    expect(uncaught).toEqual([]);
    // Either the open fails with the reset, or the stream comes back already torn down.
    if (outcome instanceof TransportError) expect(outcome.code).toBe('ERR_STREAM_RESET');
    else expect((outcome as Duplex).destroyed).toBe(true);
  });

  it('a connection that drops after the reader is done is not an unheard error', async () => {
    watchUncaught();
    const a = await start('a');
    const b = await start('b');
    let served: Duplex | undefined;
    let readDone = false;
    b.handleStream('sink', (stream) => {
      served = stream;
      void pipeline(stream, new Writable({ write: (_c, _e, cb) => cb() })).then(
        () => (readDone = true),
      );
    });
    const stream = await a.openStream(b.address, 'sink', null);
    stream.on('error', () => undefined);
    stream.end(Buffer.alloc(1024));
    await pollUntil(() => readDone);
    // b's side of the connection goes away under the finished stream, without a goodbye.
    for (const socket of [stream]) socket.destroy();
    await a.close();
    await pollUntil(() => served?.destroyed === true);
    await settle();
    expect(uncaught).toEqual([]);
  });

  it('a user still reading still gets the reset as an error', async () => {
    const a = await start('a');
    const b = await start('b');
    let failure: unknown;
    b.handleStream('sink', (stream) => {
      pipeline(stream, new Writable({ write: (_c, _e, cb) => cb() })).catch(
        (error: unknown) => (failure = error),
      );
    });
    const stream = await a.openStream(b.address, 'sink', null);
    stream.on('error', () => undefined);
    stream.write(Buffer.alloc(1024));
    stream.destroy(new TransportError('ERR_ABORTED', 'opener gave up'));
    await pollUntil(() => failure !== undefined);
    expect((failure as TransportError).code).toBe('ERR_STREAM_RESET');
  });
});

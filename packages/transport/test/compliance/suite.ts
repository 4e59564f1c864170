import { createHash } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransportError, type PeerInfo, type Transport } from '../../src/index.js';
import type { ComplianceHarness, HarnessFactory } from './harness.js';

/** Reads a stream to its end (collecting bytes) and resolves with them. */
export function collect(stream: Duplex): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

function pattern(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

async function codeOf(harness: ComplianceHarness, promise: Promise<unknown>): Promise<string> {
  try {
    await harness.drive(promise);
  } catch (error) {
    if (error instanceof TransportError) return error.code;
    throw error;
  }
  throw new Error('expected the call to fail');
}

/**
 * The behaviour every `Transport` promises, written once. Each implementation's test file calls
 * this with a factory for its own harness.
 */
export function transportCompliance(name: string, factory: HarnessFactory): void {
  describe(`${name} meets the Transport contract`, () => {
    let harness: ComplianceHarness;
    let a: Transport;
    let b: Transport;

    beforeEach(async () => {
      harness = await factory();
      a = await harness.create('node-a');
      b = await harness.create('node-b');
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    it('answers a request with the handler result, values intact', async () => {
      const seen: { message: unknown; peer: PeerInfo }[] = [];
      b.handle('echo', (message, context) => {
        seen.push({ message, peer: context.peer });
        return { got: message, from: context.peer.id };
      });
      const message = { n: 42, s: 'héllo', list: [1, null, true], bytes: Buffer.from([1, 2, 3]) };
      const answer = await harness.drive(a.request(b.address, 'echo', message));
      expect(answer).toEqual({ got: message, from: 'node-a' });
      expect(seen[0]?.peer).toEqual({ id: 'node-a', address: a.address });
    });

    it('delivers one-way messages to the handler of their protocol only', async () => {
      const got: unknown[] = [];
      b.handle('one', (message) => void got.push(['one', message]));
      b.handle('two', (message) => void got.push(['two', message]));
      await harness.drive(a.send(b.address, 'two', 'hi'));
      await harness.until(() => got.length === 1);
      expect(got).toEqual([['two', 'hi']]);
    });

    it('carries a handler error code back to the caller as a remote TransportError', async () => {
      b.handle('fail', () => {
        throw Object.assign(new Error('nope'), { code: 'ERR_NOT_FOUND' });
      });
      const error = await harness
        .drive(a.request(b.address, 'fail', null))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('ERR_NOT_FOUND');
      expect((error as TransportError).remote).toBe(true);
      expect((error as TransportError).message).toBe('nope');
    });

    it('rejects a request for an unhandled protocol with ERR_NO_HANDLER', async () => {
      expect(await codeOf(harness, a.request(b.address, 'missing', 1))).toBe('ERR_NO_HANDLER');
    });

    it('times out a request nobody answers and aborts the handler signal', async () => {
      let handlerSignal: AbortSignal | undefined;
      b.handle('slow', (_message, context) => {
        handlerSignal = context.signal;
        return new Promise(() => undefined);
      });
      const code = await codeOf(harness, a.request(b.address, 'slow', 1, { timeoutMs: 200 }));
      expect(code).toBe('ERR_TIMEOUT');
      await harness.until(() => handlerSignal?.aborted === true);
    });

    it('rejects with ERR_ABORTED when the caller aborts, before and during the call', async () => {
      b.handle('slow', () => new Promise(() => undefined));
      const already = new AbortController();
      already.abort();
      expect(
        await codeOf(harness, a.request(b.address, 'slow', 1, { signal: already.signal })),
      ).toBe('ERR_ABORTED');
      const later = new AbortController();
      const call = a.request(b.address, 'slow', 1, { signal: later.signal });
      const failed = codeOf(harness, call);
      later.abort();
      expect(await failed).toBe('ERR_ABORTED');
    });

    it('fails fast with ERR_UNREACHABLE when nothing listens at the address', async () => {
      const dead = await harness.deadAddress();
      expect(await codeOf(harness, a.request(dead, 'echo', 1, { timeoutMs: 5_000 }))).toBe(
        'ERR_UNREACHABLE',
      );
    });

    it('reports connect on both sides and lists the peer as connected', async () => {
      const connectedToA: PeerInfo[] = [];
      const connectedToB: PeerInfo[] = [];
      a.on('connect', (peer) => connectedToA.push(peer));
      b.on('connect', (peer) => connectedToB.push(peer));
      b.handle('ping', () => 'pong');
      await harness.drive(a.request(b.address, 'ping', null));
      await harness.until(() => connectedToA.length === 1 && connectedToB.length === 1);
      expect(connectedToA[0]?.id).toBe('node-b');
      expect(connectedToB[0]?.id).toBe('node-a');
      expect(a.connectedPeers().map((p) => p.id)).toEqual(['node-b']);
      // A second call reuses the connection: no second connect event.
      await harness.drive(a.request(b.address, 'ping', null));
      await harness.drive(b.request(a.address, 'missing', null).catch(() => undefined));
      expect(connectedToA).toHaveLength(1);
    });

    it('reports disconnect to the peer when a transport closes, and fails its pending calls', async () => {
      const disconnected: PeerInfo[] = [];
      a.on('disconnect', (peer) => disconnected.push(peer));
      let hung = false;
      b.handle('hang', () => {
        hung = true;
        return new Promise(() => undefined);
      });
      const pending = codeOf(harness, a.request(b.address, 'hang', null, { timeoutMs: 60_000 }));
      await harness.until(() => hung);
      await harness.drive(b.close());
      const code = await pending;
      expect(['ERR_CONNECTION_CLOSED', 'ERR_TRANSPORT_CLOSED']).toContain(code);
      await harness.until(() => disconnected.length === 1);
      expect(disconnected[0]?.id).toBe('node-b');
    });

    it('refuses calls after close with ERR_TRANSPORT_CLOSED', async () => {
      await harness.drive(a.close());
      expect(await codeOf(harness, a.request(b.address, 'x', null))).toBe('ERR_TRANSPORT_CLOSED');
    });

    it('moves a stream of bytes intact in both directions', async () => {
      const upload = pattern(300_000, 7);
      const download = pattern(200_000, 9);
      let header: unknown;
      b.handleStream('xfer', async (stream, streamHeader) => {
        header = streamHeader;
        const received = await collect(stream);
        stream.end(Buffer.concat([download, Buffer.from(sha(received), 'hex')]));
      });
      const stream = await harness.drive(a.openStream(b.address, 'xfer', { name: 'f' }));
      const reply = collect(stream);
      stream.end(upload);
      const back = await harness.drive(reply);
      expect(header).toEqual({ name: 'f' });
      expect(sha(back.subarray(0, download.length))).toBe(sha(download));
      expect(back.subarray(download.length).toString('hex')).toBe(sha(upload));
    });

    it('rejects a stream to an unhandled protocol with ERR_NO_HANDLER', async () => {
      expect(await codeOf(harness, a.openStream(b.address, 'none', null))).toBe('ERR_NO_HANDLER');
    });

    it('stops a writer whose reader does not read, without buffering without bound', async () => {
      let serverEnd: Duplex | undefined;
      b.handleStream('sink', (stream) => {
        serverEnd = stream; // never reads
        stream.on('error', () => undefined);
      });
      const stream = await harness.drive(a.openStream(b.address, 'sink', null));
      stream.on('error', () => undefined);
      let accepted = 0;
      const chunk = Buffer.alloc(16 * 1024);
      // Offer 64 MiB; count how much the transport takes off the writer's hands.
      for (let i = 0; i < 4096; i++) stream.write(chunk, () => (accepted += chunk.length));
      await harness.until(() => serverEnd !== undefined && accepted > 0);
      // The window and the reader's buffer fill up, then nothing more moves.
      await harness.idle();
      const before = accepted;
      await harness.idle();
      expect(accepted).toBe(before);
      expect(accepted).toBeLessThan(8 * 1024 * 1024);
      // Once the reader drains, everything flows.
      let received = 0;
      serverEnd?.on('data', (data: Buffer) => (received += data.length));
      await harness.until(() => received === 4096 * chunk.length);
      stream.destroy();
      await harness.until(() => serverEnd?.destroyed === true);
    });

    it('keeps other streams on the same connection flowing while one reader is stalled', async () => {
      const stalled: Duplex[] = [];
      b.handleStream('stall', (stream) => {
        stalled.push(stream); // never reads
        stream.on('error', () => undefined);
      });
      b.handleStream('sum', async (stream) => {
        const body = await collect(stream);
        stream.end(sha(body));
      });
      const stuck = await harness.drive(a.openStream(b.address, 'stall', null));
      stuck.on('error', () => undefined);
      for (let i = 0; i < 64; i++) stuck.write(Buffer.alloc(16 * 1024, i));
      await harness.until(() => stalled.length === 1);
      const body = pattern(1_000_000, 3);
      const other = await harness.drive(a.openStream(b.address, 'sum', null));
      const reply = collect(other);
      other.end(body);
      expect((await harness.drive(reply)).toString()).toBe(sha(body));
      stuck.destroy();
      await harness.until(() => stalled[0]?.destroyed === true);
    });

    it('tears down both ends when either end destroys a stream', async () => {
      const serverEnds: Duplex[] = [];
      b.handleStream('cancel', (stream) => {
        serverEnds.push(stream);
        stream.on('error', () => undefined);
        stream.resume();
      });
      const first = await harness.drive(a.openStream(b.address, 'cancel', null));
      first.on('error', () => undefined);
      first.write('some bytes');
      await harness.until(() => serverEnds.length === 1);
      first.destroy();
      await harness.until(() => serverEnds[0]?.destroyed === true);

      const second = await harness.drive(a.openStream(b.address, 'cancel', null));
      let secondError: unknown;
      second.on('error', (error) => (secondError = error));
      second.resume();
      await harness.until(() => serverEnds.length === 2);
      serverEnds[1]?.destroy();
      await harness.until(() => second.destroyed);
      expect((secondError as TransportError | undefined)?.code).toBe('ERR_STREAM_RESET');
    });

    it('keeps many concurrent requests and streams apart on one connection', async () => {
      b.handle('double', (message) => (message as number) * 2);
      b.handleStream('upper', async (stream) => {
        const text = (await collect(stream)).toString();
        stream.end(text.toUpperCase());
      });
      const calls = Array.from({ length: 40 }, (_, i) => a.request(b.address, 'double', i));
      const streams = Array.from({ length: 8 }, async (_, i) => {
        const stream = await a.openStream(b.address, 'upper', null);
        const reply = collect(stream);
        stream.end(`stream-${i}-`.repeat(1000));
        return (await reply).toString();
      });
      const answers = await harness.drive(Promise.all(calls));
      const texts = await harness.drive(Promise.all(streams));
      expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => i * 2));
      texts.forEach((text, i) => expect(text).toBe(`STREAM-${i}-`.repeat(1000)));
    });
  });
}

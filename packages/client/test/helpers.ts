import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { DfsClientError } from '../src/index.js';

/** A 127.0.0.1 port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A sleep that records the delays asked for and returns at once. */
export function recordingSleep(): { delays: number[]; sleep: (ms: number) => Promise<void> } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
    },
  };
}

/** The sha256 of `body`, hex. */
export const sha = (body: Buffer | string): string =>
  createHash('sha256').update(body).digest('hex');
/** `n` bytes of a fixed pattern. */
export const bytes = (n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));

/** The `DfsClientError` code `promise` rejects with (fails the test when it resolves). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DfsClientError);
    return (error as DfsClientError).code;
  }
  throw new Error('expected a rejection');
}

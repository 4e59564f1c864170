import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, expect } from 'vitest';
import {
  openStore,
  type GetOptions,
  type OpenStoreOptions,
  type Store,
  type StoreError,
} from '../src/index.js';

const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh temp directory, removed after the test. */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'dfs-store-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A store in a fresh temp directory, closed after the test. */
export async function tempStore(
  options: Partial<OpenStoreOptions> = {},
): Promise<{ store: Store; dir: string }> {
  const dir = options.dir ?? (await tempDir());
  const store = await openStore({ ...options, dir });
  cleanups.push(() => store.close());
  return { store, dir };
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function getBytes(store: Store, key: string, options?: GetOptions): Promise<Buffer> {
  return readAll(await store.get(key, options));
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Every file under `dir` (relative paths), to prove nothing was left behind. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

/** Deterministic pseudo-random bytes (tests must not depend on a wall clock or global RNG). */
export function bytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function chunked(data: Buffer, chunkSize: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunkSize) parts.push(data.subarray(i, i + chunkSize));
  return Readable.from(parts);
}

/** Resolves to the StoreError a promise rejected with (fails the test if it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    return error as StoreError;
  }
  throw new Error('expected a rejection');
}

/** Byte equality without vitest's element-by-element deep diff, which is slow on large Buffers. */
export function expectBytes(actual: Buffer, expected: Buffer): void {
  expect({ length: actual.length, same: actual.equals(expected) }).toEqual({
    length: expected.length,
    same: true,
  });
}

/**
 * Upload sessions on disk: chunks at the durable offset, bounds, expiry, completion with the
 * declared sha256, and what survives a reopen (a restart) — including a chunk cut by a crash.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '@dfs/transport';
import { UploadSessions, type UploadSessionLimits } from '../src/uploads/upload-sessions.js';

const LIMITS: UploadSessionLimits = {
  maxSessions: 3,
  maxTotalBytes: 1000,
  maxFileBytes: 600,
  idleMs: 60_000,
  sweepIntervalMs: 10_000,
};
const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const chunks = (...parts: string[]): AsyncIterable<Buffer> =>
  Readable.from(parts.map((p) => Buffer.from(p)));

let dir: string | undefined;
let opened: UploadSessions[] = [];
afterEach(async () => {
  for (const s of opened) s.close();
  opened = [];
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function openSessions(clock = new VirtualClock(), limits = LIMITS): Promise<UploadSessions> {
  dir ??= await mkdtemp(path.join(tmpdir(), 'dfs-uploads-'));
  const sessions = await UploadSessions.open({ dir, clock, ...limits });
  opened.push(sessions);
  return sessions;
}

const codeOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'resolved',
    (error: { code?: unknown }) => error.code,
  );

describe('upload sessions', () => {
  it('take chunks at the offset and complete into the exact bytes', async () => {
    const sessions = await openSessions();
    const whole = Buffer.from('hello resumable world');
    const session = await sessions.create({ name: 'a/b', size: whole.length, sha256: sha(whole) });
    expect(session).toMatchObject({ name: 'a/b', size: whole.length, offset: 0 });
    expect((await sessions.append(session.id, 0, chunks('hello ', 'resum'))).offset).toBe(11);
    expect(await codeOf(sessions.append(session.id, 5, chunks('x')))).toBe('ERR_CONFLICT');
    expect(await codeOf(sessions.complete(session.id, async () => 0))).toBe('ERR_CONFLICT');
    expect((await sessions.append(session.id, 11, chunks('able world'))).offset).toBe(whole.length);
    const committed = await sessions.complete(session.id, (body) => buffer(body));
    expect(committed.equals(whole)).toBe(true);
    expect(await codeOf(Promise.resolve().then(() => sessions.get(session.id)))).toBe(
      'ERR_NOT_FOUND',
    );
  });

  it('refuse a chunk past the declared size and keep nothing of it', async () => {
    const sessions = await openSessions();
    const { id } = await sessions.create({ name: 'x', size: 8 });
    await sessions.append(id, 0, chunks('1234'));
    expect(await codeOf(sessions.append(id, 4, chunks('56', '789')))).toBe('ERR_TOO_LARGE');
    expect(sessions.get(id).offset).toBe(4);
    await sessions.append(id, 4, chunks('5678'));
    expect((await sessions.complete(id, (body) => buffer(body))).toString()).toBe('12345678');
  });

  it('keep what arrived of a chunk the client cut short', async () => {
    const sessions = await openSessions();
    const { id } = await sessions.create({ name: 'x', size: 10 });
    async function* cut(): AsyncIterable<Buffer> {
      yield Buffer.from('abc');
      throw Object.assign(new Error('client went away'), { code: 'ERR_BAD_REQUEST' });
    }
    expect(await codeOf(sessions.append(id, 0, cut()))).toBe('ERR_BAD_REQUEST');
    expect(sessions.get(id).offset).toBe(3);
  });

  it('refuse completion when the bytes do not have the declared sha256', async () => {
    const sessions = await openSessions();
    const { id } = await sessions.create({ name: 'x', size: 3, sha256: sha(Buffer.from('abc')) });
    await sessions.append(id, 0, chunks('abd'));
    let committed = false;
    const attempt = sessions.complete(id, async () => (committed = true));
    expect(await codeOf(attempt)).toBe('ERR_CHECKSUM_MISMATCH');
    expect(committed).toBe(false);
  });

  it('are bounded in count, in total declared bytes and in size', async () => {
    const sessions = await openSessions();
    expect(await codeOf(sessions.create({ name: 'big', size: 601 }))).toBe('ERR_TOO_LARGE');
    expect(await codeOf(sessions.create({ name: '/bad', size: 1 }))).toBe('ERR_INVALID_NAME');
    await sessions.create({ name: 'a', size: 600 });
    expect(await codeOf(sessions.create({ name: 'b', size: 401 }))).toBe('ERR_TOO_MANY_UPLOADS');
    await sessions.create({ name: 'b', size: 400 });
    await sessions.create({ name: 'c', size: 0 });
    expect(await codeOf(sessions.create({ name: 'd', size: 0 }))).toBe('ERR_TOO_MANY_UPLOADS');
    expect(sessions.count).toBe(3);
  });

  it('take one request at a time per session', async () => {
    const sessions = await openSessions();
    const { id } = await sessions.create({ name: 'x', size: 4 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncIterable<Buffer> {
      yield Buffer.from('ab');
      await gate;
    }
    const first = sessions.append(id, 0, slow());
    expect(await codeOf(sessions.append(id, 0, chunks('ab')))).toBe('ERR_CONFLICT');
    expect(await codeOf(sessions.abort(id))).toBe('ERR_CONFLICT');
    release();
    expect((await first).offset).toBe(2);
  });

  it('expire after the idle time, a chunk pushing the expiry back', async () => {
    const clock = new VirtualClock();
    // The periodic sweep stays out of the way; sweep() is called by hand.
    const sessions = await openSessions(clock, { ...LIMITS, sweepIntervalMs: 3_600_000 });
    const { id, expiresAt } = await sessions.create({ name: 'x', size: 4 });
    expect(expiresAt).toBe(clock.now() + LIMITS.idleMs);
    await clock.advance(50_000);
    await sessions.append(id, 0, chunks('ab'));
    await clock.advance(50_000);
    expect(await sessions.sweep()).toBe(0);
    await clock.advance(20_000);
    expect(await sessions.sweep()).toBe(1);
    expect(() => sessions.get(id)).toThrow(/no upload session/);
  });

  it('survive a reopen at their durable offset, cutting bytes no chunk acknowledged', async () => {
    const clock = new VirtualClock();
    const first = await openSessions(clock);
    const { id } = await first.create({ name: 'keep', size: 6 });
    await first.append(id, 0, chunks('abc'));
    const dropped = await first.create({ name: 'gone', size: 1 });
    await first.abort(dropped.id);
    first.close();
    // A crash mid-chunk: bytes reached the data file but the offset was never recorded.
    await appendFile(path.join(dir!, id, 'data'), 'XYZ');
    const second = await openSessions(clock);
    expect(second.get(id)).toMatchObject({ name: 'keep', offset: 3 });
    expect(second.count).toBe(1);
    await second.append(id, 3, chunks('def'));
    expect((await second.complete(id, (body) => buffer(body))).toString()).toBe('abcdef');
  });
});

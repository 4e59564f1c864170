/**
 * The node's resumable upload sessions (docs/api.md, "Resumable uploads"), kept on disk under
 * `<data>/uploads/<id>/`: `data` holds the bytes received so far, `meta.json` the session
 * (`UploadSession`: name, declared size and sha256, the durable offset, when it expires).
 *
 * Durability: a chunk's bytes are fsynced, then the new offset is written to `meta.json` durably
 * (temp file, fsync, rename, directory fsync), and only then is the chunk acknowledged. `meta.json`
 * is the truth: bytes past its offset in `data` (a chunk cut by a crash) are cut off at open and
 * before every chunk. A chunk cut short by the client keeps what arrived: those bytes are fsynced
 * and counted, so the client resumes from there.
 *
 * Bounds: at most `maxSessions` sessions and `maxTotalBytes` of declared sizes at once (429), each
 * no larger than the node's `--max-file-size` (413); a session no chunk touched for `idleMs` is
 * removed (at open and by a sweep every `sweepIntervalMs`). One chunk or completion at a time per
 * session (409 otherwise).
 */
import { randomBytes, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { nameProblem, uploadSessionSchema, type UploadSession } from '@dfs/api';
import { ensureDirectoryDurably, fsyncDirectory, writeFileDurably } from '@dfs/base';
import type { Clock, Timer } from '@dfs/transport';
import { NodeError } from '../errors.js';

export interface UploadSessionLimits {
  maxSessions: number;
  maxTotalBytes: number;
  /** Largest declared size (the node's `--max-file-size`). */
  maxFileBytes: number;
  idleMs: number;
  sweepIntervalMs: number;
}

export interface UploadSessionsOptions extends UploadSessionLimits {
  /** `<data>/uploads`. */
  dir: string;
  clock: Clock;
  /** Called with a session that could not be read at open (it is removed). */
  onDropped?: (id: string, reason: string) => void;
}

export class UploadSessions {
  readonly #options: UploadSessionsOptions;
  readonly #sessions = new Map<string, UploadSession>();
  /** Sessions a chunk or a completion is working on right now. */
  readonly #busy = new Set<string>();
  #sweep: Timer | undefined;

  private constructor(options: UploadSessionsOptions) {
    this.#options = options;
  }

  /** Opens the directory: sessions left by an earlier run come back at their durable offset. */
  static async open(options: UploadSessionsOptions): Promise<UploadSessions> {
    const sessions = new UploadSessions(options);
    await ensureDirectoryDurably(options.dir);
    for (const id of await readdir(options.dir)) await sessions.#load(id);
    await sessions.sweep();
    sessions.#sweep = options.clock.setInterval(() => {
      void sessions.sweep().catch(() => undefined);
    }, options.sweepIntervalMs);
    return sessions;
  }

  get count(): number {
    return this.#sessions.size;
  }

  async create(request: { name: string; size: number; sha256?: string }): Promise<UploadSession> {
    const { maxSessions, maxTotalBytes, maxFileBytes } = this.#options;
    const problem = nameProblem(request.name);
    if (problem !== undefined) throw new NodeError('ERR_INVALID_NAME', problem);
    if (request.size > maxFileBytes) {
      throw new NodeError(
        'ERR_TOO_LARGE',
        `size ${request.size} exceeds the ${maxFileBytes}-byte limit (--max-file-size)`,
      );
    }
    let declared = 0;
    for (const s of this.#sessions.values()) declared += s.size;
    if (this.#sessions.size >= maxSessions || declared + request.size > maxTotalBytes) {
      throw new NodeError(
        'ERR_TOO_MANY_UPLOADS',
        `the node holds ${this.#sessions.size} upload sessions (${declared} bytes); complete or abort one first`,
      );
    }
    const id = randomBytes(16).toString('hex');
    const session: UploadSession = {
      id,
      name: request.name,
      size: request.size,
      ...(request.sha256 !== undefined ? { sha256: request.sha256 } : {}),
      offset: 0,
      expiresAt: this.#options.clock.now() + this.#options.idleMs,
    };
    const dir = this.#dirOf(id);
    await ensureDirectoryDurably(dir);
    const data = await open(path.join(dir, 'data'), 'wx');
    await data.sync();
    await data.close();
    await this.#writeMeta(session);
    this.#sessions.set(id, session);
    return { ...session };
  }

  get(id: string): UploadSession {
    return { ...this.#existing(id) };
  }

  /**
   * Appends `body` at `offset` (which must be the session's offset), fsyncs, records the new
   * offset durably, and resolves with the session. Bytes past the declared size are refused (413)
   * and nothing of that chunk is kept; a body that fails part-way keeps what arrived.
   */
  async append(id: string, offset: number, body: AsyncIterable<Buffer>): Promise<UploadSession> {
    return this.#exclusive(id, async (session) => {
      if (offset !== session.offset) {
        throw new NodeError(
          'ERR_CONFLICT',
          `the chunk starts at ${offset} but the session holds ${session.offset} bytes; resume from ${session.offset}`,
        );
      }
      const handle = await open(this.#dataOf(id), 'r+');
      let written = 0;
      let failure: unknown;
      try {
        await handle.truncate(offset);
        for await (const chunk of body) {
          if (offset + written + chunk.length > session.size) {
            await handle.truncate(offset);
            written = 0;
            throw new NodeError(
              'ERR_TOO_LARGE',
              `the chunk runs past the session's declared size of ${session.size} bytes`,
            );
          }
          await writeAll(handle, chunk, offset + written);
          written += chunk.length;
        }
      } catch (error) {
        failure = error;
      }
      try {
        if (written > 0) await handle.sync();
      } finally {
        await handle.close();
      }
      if (written > 0 || failure === undefined) {
        const next = {
          ...session,
          offset: offset + written,
          expiresAt: this.#options.clock.now() + this.#options.idleMs,
        };
        await this.#writeMeta(next);
        Object.assign(session, next);
      }
      if (failure !== undefined) throw failure;
      return { ...session };
    });
  }

  /**
   * Completes a session whose every byte arrived: checks the declared sha256, hands the bytes to
   * `commit` (an ordinary put), then forgets the session. A failed commit keeps the session, so
   * completing can be retried.
   */
  async complete<T>(id: string, commit: (body: Readable, session: UploadSession) => Promise<T>) {
    return this.#exclusive(id, async (session) => {
      if (session.offset !== session.size) {
        throw new NodeError(
          'ERR_CONFLICT',
          `the session holds ${session.offset} of its ${session.size} bytes; send the rest first`,
        );
      }
      if (session.sha256 !== undefined) {
        const hash = createHash('sha256');
        await pipeline(createReadStream(this.#dataOf(id)), hash);
        const actual = hash.digest('hex');
        if (actual !== session.sha256) {
          throw new NodeError(
            'ERR_CHECKSUM_MISMATCH',
            `the session's bytes have sha256 ${actual}, not the declared ${session.sha256}; abort it and upload again`,
          );
        }
      }
      const result = await commit(createReadStream(this.#dataOf(id)), { ...session });
      await this.#remove(id);
      return result;
    });
  }

  /** Forgets a session and its bytes. */
  async abort(id: string): Promise<void> {
    await this.#exclusive(id, () => this.#remove(id));
  }

  /** Removes the sessions whose `expiresAt` passed (not those a chunk is being written to). */
  async sweep(): Promise<number> {
    const now = this.#options.clock.now();
    let removed = 0;
    for (const [id, session] of [...this.#sessions]) {
      if (session.expiresAt > now || this.#busy.has(id)) continue;
      await this.#remove(id);
      removed++;
    }
    return removed;
  }

  close(): void {
    this.#sweep?.cancel();
    this.#sweep = undefined;
  }

  #existing(id: string): UploadSession {
    const session = this.#sessions.get(id);
    if (!session)
      throw new NodeError(
        'ERR_NOT_FOUND',
        `no upload session ${id} (expired, completed or aborted)`,
      );
    return session;
  }

  async #exclusive<T>(id: string, work: (session: UploadSession) => Promise<T>): Promise<T> {
    const session = this.#existing(id);
    if (this.#busy.has(id)) {
      throw new NodeError('ERR_CONFLICT', `upload session ${id} is busy with another request`);
    }
    this.#busy.add(id);
    try {
      return await work(session);
    } finally {
      this.#busy.delete(id);
    }
  }

  async #load(id: string): Promise<void> {
    const dir = this.#dirOf(id);
    const drop = async (reason: string): Promise<void> => {
      this.#options.onDropped?.(id, reason);
      await rm(dir, { recursive: true, force: true });
    };
    let meta: unknown;
    try {
      meta = JSON.parse(await readFile(path.join(dir, 'meta.json'), 'utf8'));
    } catch {
      return drop('no readable meta.json');
    }
    const parsed = uploadSessionSchema.safeParse(meta);
    if (!parsed.success || parsed.data.id !== id || parsed.data.offset > parsed.data.size) {
      return drop('meta.json is not a session');
    }
    const session: UploadSession = parsed.data;
    const held = await stat(this.#dataOf(id)).catch(() => undefined);
    if (held === undefined || held.size < session.offset) return drop('fewer bytes than recorded');
    if (held.size > session.offset) {
      // A chunk cut by a crash before it was acknowledged: not part of the session.
      const handle = await open(this.#dataOf(id), 'r+');
      try {
        await handle.truncate(session.offset);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    this.#sessions.set(id, session);
  }

  async #remove(id: string): Promise<void> {
    this.#sessions.delete(id);
    await rm(this.#dirOf(id), { recursive: true, force: true });
    await fsyncDirectory(this.#options.dir);
  }

  #writeMeta(session: UploadSession): Promise<void> {
    return writeFileDurably(
      path.join(this.#dirOf(session.id), 'meta.json'),
      JSON.stringify(session),
    );
  }

  #dirOf(id: string): string {
    return path.join(this.#options.dir, id);
  }

  #dataOf(id: string): string {
    return path.join(this.#dirOf(id), 'data');
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.length - done, position + done);
    done += bytesWritten;
  }
}

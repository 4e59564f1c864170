/**
 * Resumable uploads over HTTP (docs/api.md, "Resumable uploads"): create a session, append
 * chunks at the node's offset, ask the offset, complete it into an ordinary put (same `?w` and
 * `?timeout`), or abort it. The sessions themselves live in uploads/upload-sessions.ts.
 */
import { HEADERS, nameProblem, type UploadSession } from '@dfs/api';
import { NodeError } from '../errors.js';
import type { UploadSessions } from '../uploads/upload-sessions.js';
import type { ApiOptions, RequestContext } from './context.js';
import type { PutCompletion } from './file-routes.js';
import { sendJson } from './respond.js';
import { uploadBody } from './upload-body.js';
import { DEFAULT_TUNABLES } from '../config.js';

export interface UploadRoutes {
  create(ctx: RequestContext): Promise<void>;
  /** `GET`, `PUT` and `DELETE` of `/v1/uploads/<id>`. */
  session(ctx: RequestContext, id: string): Promise<void>;
  complete(ctx: RequestContext, id: string): Promise<void>;
}

export function createUploadRoutes(
  options: ApiOptions,
  sessions: UploadSessions,
  completion: PutCompletion,
): UploadRoutes {
  const limits = options.tunables ?? DEFAULT_TUNABLES.http;

  async function create({ res, query }: RequestContext): Promise<void> {
    const name = query.get('name');
    if (name === null) throw new NodeError('ERR_BAD_REQUEST', 'name= is required');
    const problem = nameProblem(name);
    if (problem !== undefined) throw new NodeError('ERR_INVALID_NAME', problem);
    const size = wholeNumber(query.get('size'), 'size');
    const sha256 = query.get('sha256') ?? undefined;
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new NodeError('ERR_BAD_REQUEST', 'sha256= must be 64 lower-case hex digits');
    }
    const session = await sessions.create({ name, size, ...(sha256 ? { sha256 } : {}) });
    sendJson(res, 201, session);
  }

  async function session(ctx: RequestContext, id: string): Promise<void> {
    const { req, res, query } = ctx;
    if (req.method === 'GET' || req.method === 'HEAD') {
      answerSession(ctx, sessions.get(id), 200);
      return;
    }
    if (req.method === 'DELETE') {
      await sessions.abort(id);
      res.writeHead(204);
      res.end();
      return;
    }
    // PUT: one chunk at ?offset=.
    const offset = wholeNumber(query.get('offset'), 'offset');
    const current = sessions.get(id);
    const declared = req.headers[HEADERS.contentLength];
    if (declared !== undefined && offset + Number(declared) > current.size) {
      res.setHeader('connection', 'close');
      throw new NodeError(
        'ERR_TOO_LARGE',
        `a chunk of ${declared} bytes at ${offset} runs past the session's size of ${current.size}`,
      );
    }
    const body = uploadBody(req, limits);
    let after: UploadSession;
    try {
      after = await sessions.append(id, offset, body.stream);
    } catch (error) {
      body.discardRest();
      throw error;
    }
    options.metrics.countHttpBytes('in', after.offset - offset);
    answerSession(ctx, after, 200);
  }

  async function complete(ctx: RequestContext, id: string): Promise<void> {
    const wait = completion.writeWaitOf(ctx.query);
    const info = await sessions.complete(id, (body, held) =>
      options.files.put(held.name, body, {
        signal: ctx.signal,
        maxBytes: options.maxFileSize,
      }),
    );
    await completion.answerStored(ctx, info, wait);
  }

  return { create, session, complete };
}

/** The session as JSON, with its offset also in `Upload-Offset` (as tus does). */
function answerSession({ req, res }: RequestContext, session: UploadSession, status: number): void {
  sendJson(res, status, session, req.method === 'HEAD', {
    [HEADERS.uploadOffset]: String(session.offset),
  });
}

function wholeNumber(text: string | null, what: string): number {
  if (text === null || !/^\d{1,16}$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) {
    throw new NodeError('ERR_BAD_REQUEST', `${what}= must be a whole number of bytes`);
  }
  return Number(text);
}

/**
 * The fake node's upload sessions (`/v1/uploads`, docs/api.md "Resumable uploads"), in memory: enough
 * of the contract to test a client's chunking, resuming and completing against — offsets, 409 for a
 * chunk at the wrong offset, 422 for a wrong sha256, 404 once completed or aborted.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  HEADERS,
  PATHS,
  nameProblem,
  parseUploadPath,
  type ApiErrorCode,
  type UploadSession,
} from '@dfs/api';

export interface FakeUploadsContext {
  now(): number;
  readBody(req: IncomingMessage): Promise<Buffer | undefined>;
  /** Stores a completed session's bytes as a put; answers like `PUT /v1/files/<name>`. */
  completePut(res: ServerResponse, name: string, body: Buffer): void;
  sendJson(
    res: ServerResponse,
    status: number,
    value: unknown,
    headers?: Record<string, string>,
  ): void;
  sendError(res: ServerResponse, status: number, code: ApiErrorCode, message: string): void;
}

interface FakeSession extends UploadSession {
  chunks: Buffer[];
}

const IDLE_MS = 24 * 60 * 60_000;

/** Returns a handler: true when it answered (the path was an upload path). */
export function fakeUploads(context: FakeUploadsContext) {
  const sessions = new Map<string, FakeSession>();
  const view = (s: FakeSession): UploadSession => {
    const { chunks: _chunks, ...session } = s;
    return session;
  };
  const answer = (res: ServerResponse, status: number, s: FakeSession): void =>
    context.sendJson(res, status, view(s), { [HEADERS.uploadOffset]: String(s.offset) });

  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname === PATHS.uploads && req.method === 'POST') {
      const name = url.searchParams.get('name') ?? '';
      const problem = nameProblem(name);
      if (problem !== undefined) {
        context.sendError(res, 400, 'INVALID_NAME', problem);
        return true;
      }
      const size = Number(url.searchParams.get('size'));
      const sha256 = url.searchParams.get('sha256') ?? undefined;
      const session: FakeSession = {
        id: randomBytes(16).toString('hex'),
        name,
        size,
        ...(sha256 ? { sha256 } : {}),
        offset: 0,
        expiresAt: context.now() + IDLE_MS,
        chunks: [],
      };
      sessions.set(session.id, session);
      answer(res, 201, session);
      return true;
    }
    const path = parseUploadPath(url.pathname);
    if (!path) return false;
    const session = sessions.get(path.id);
    if (!session) {
      context.sendError(res, 404, 'NOT_FOUND', `no upload session ${path.id}`);
      return true;
    }
    if (path.complete) {
      const body = Buffer.concat(session.chunks);
      if (session.offset !== session.size) {
        context.sendError(res, 409, 'CONFLICT', `the session holds ${session.offset} bytes`);
      } else if (
        session.sha256 &&
        createHash('sha256').update(body).digest('hex') !== session.sha256
      ) {
        context.sendError(
          res,
          422,
          'CHECKSUM_MISMATCH',
          'the bytes do not have the declared sha256',
        );
      } else {
        sessions.delete(session.id);
        context.completePut(res, session.name, body);
      }
      return true;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      answer(res, 200, session);
    } else if (req.method === 'DELETE') {
      sessions.delete(session.id);
      res.writeHead(204);
      res.end();
    } else if (req.method === 'PUT') {
      const offset = Number(url.searchParams.get('offset'));
      if (offset !== session.offset) {
        context.sendError(res, 409, 'CONFLICT', `resume from ${session.offset}`);
        return true;
      }
      const body = await context.readBody(req);
      if (body === undefined || offset + body.length > session.size) {
        context.sendError(res, 413, 'TOO_LARGE', 'the chunk runs past the session size');
        return true;
      }
      session.chunks.push(body);
      session.offset += body.length;
      answer(res, 200, session);
    } else {
      context.sendError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not allowed here`);
    }
    return true;
  };
}

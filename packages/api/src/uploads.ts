/**
 * Resumable uploads: an upload session holds a file's bytes on one node, chunk by chunk, each chunk
 * acknowledged only once it is fsynced, until the client completes it (an ordinary put of the
 * whole file) or aborts it. A client that lost its connection asks the session how many bytes the
 * node holds and sends only the rest. The paths, the session's JSON shape and its bounds.
 */
import { z } from 'zod';
import { millisSchema, sha256Schema, sizeSchema } from './schemas.js';

/** `POST /v1/uploads?name=&size=&sha256=` creates a session; `/v1/uploads/<id>` is the session. */
export const UPLOADS_PATH = '/v1/uploads';

/** A session id: 32 lower-case hex characters (128 random bits). */
export const uploadIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'not an upload session id');

/** `/v1/uploads/<id>`. */
export function uploadPath(id: string): string {
  return `${UPLOADS_PATH}/${id}`;
}

/** `/v1/uploads/<id>/complete`. */
export function uploadCompletePath(id: string): string {
  return `${UPLOADS_PATH}/${id}/complete`;
}

/** `/v1/uploads/<id>[/complete]` → its parts, or undefined when the path is not of that shape. */
export function parseUploadPath(path: string): { id: string; complete: boolean } | undefined {
  const match = /^\/v1\/uploads\/([0-9a-f]{32})(\/complete)?$/.exec(path);
  if (!match?.[1]) return undefined;
  return { id: match[1], complete: match[2] !== undefined };
}

/** What a node says about an upload session (create, `GET`, and every chunk's answer). */
export interface UploadSession {
  id: string;
  /** The file's name once completed. */
  name: string;
  /** The file's whole size, declared at creation. */
  size: number;
  /** The sha256 declared at creation (checked at completion), if one was. */
  sha256?: string;
  /** Bytes the node holds durably: the next chunk starts here. */
  offset: number;
  /** Wall-clock ms after which the node forgets the session unless a chunk arrives first. */
  expiresAt: number;
}

export const uploadSessionSchema = z.object({
  id: uploadIdSchema,
  name: z.string().min(1),
  size: sizeSchema,
  sha256: sha256Schema.optional(),
  offset: sizeSchema,
  expiresAt: millisSchema,
}) satisfies z.ZodType<UploadSession>;

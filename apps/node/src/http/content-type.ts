/**
 * The `Content-Type` a file version is stored with when it is written through the HTTP API: the
 * request's own, unless it says nothing about the file (absent, or the generic
 * `application/octet-stream` every byte stream is), in which case it is guessed from the name's
 * extension (the `mime-types` database), and `application/octet-stream` when that fails too.
 */
import { lookup } from 'mime-types';
import { BODY_CONTENT_TYPE, fileMetaSchema } from '@dfs/api';
import { NodeError } from '../errors.js';

export function uploadContentType(header: string | undefined, name: string): string {
  const given = header?.trim();
  if (given !== undefined && given !== '' && given.toLowerCase() !== BODY_CONTENT_TYPE) {
    if (!fileMetaSchema.shape.contentType.safeParse(given).success) {
      throw new NodeError(
        'ERR_BAD_REQUEST',
        'Content-Type must be printable ASCII of at most 256 characters',
      );
    }
    return given;
  }
  return guessContentType(name);
}

/** The media type the name's extension suggests, or `application/octet-stream`. */
export function guessContentType(name: string): string {
  const last = name.slice(name.lastIndexOf('/') + 1);
  const guessed = lookup(last);
  return guessed === false ? BODY_CONTENT_TYPE : guessed;
}

/**
 * The body of a download as callers see it: a Node stream that counts bytes for progress and, when
 * the connection breaks mid-body, resumes from the first missing byte with a Range request (on any
 * node) instead of starting over — GET is idempotent, and the sha256 (ETag) proves the resumed
 * bytes belong to the same version. What cannot be resumed fails with ERR_NETWORK naming how far
 * it got, or ERR_CHANGED when a newer version replaced the file meanwhile.
 */
import { Readable } from 'node:stream';
import { messageOf } from './body.js';
import { DfsClientError } from './errors.js';
import { displayNode } from './nodes.js';

export interface BodySource {
  response: Response;
  node: string;
}

export interface ResumableBodyOptions {
  first: BodySource;
  /** Bytes the whole body carries (the range's length for a range). */
  length: number;
  /** Offset in the file of the body's first byte (0 unless a range was asked for). */
  offset: number;
  /** How many times a broken body may be resumed. */
  resumes: number;
  /** Requests the bytes from `from` (a file offset) to the body's last byte. */
  reopen(from: number): Promise<BodySource>;
  onProgress?: (progress: { loaded: number; total: number }) => void;
  signal?: AbortSignal;
}

export function resumableBody(options: ResumableBodyOptions): Readable {
  let loaded = 0;
  let node = options.first.node;
  const broken = (detail: string, cause?: unknown): DfsClientError =>
    options.signal?.aborted
      ? new DfsClientError('ERR_ABORTED', 'the download was aborted', { node, cause })
      : new DfsClientError(
          'ERR_NETWORK',
          `the download from ${displayNode(node)} broke after ${loaded} of ${options.length} bytes: ${detail}`,
          { node, cause },
        );

  async function* chunks(): AsyncGenerator<Uint8Array> {
    let response = options.first.response;
    let resumed = 0;
    for (;;) {
      try {
        if (response.body) {
          for await (const chunk of response.body) {
            loaded += chunk.length;
            if (loaded > options.length) {
              throw new DfsClientError(
                'ERR_BAD_RESPONSE',
                `${displayNode(node)} sent more than the ${options.length} bytes it announced`,
                { node },
              );
            }
            options.onProgress?.({ loaded, total: options.length });
            yield chunk;
          }
        }
        if (loaded === options.length) return;
        throw new Error('the body ended early');
      } catch (error) {
        if (options.signal?.aborted) throw broken('aborted', error);
        if (error instanceof DfsClientError) throw error;
        if (resumed >= options.resumes) throw broken(messageOf(error), error);
        resumed += 1;
        let next: BodySource;
        try {
          next = await options.reopen(options.offset + loaded);
        } catch (reopenError) {
          if (reopenError instanceof DfsClientError && reopenError.code === 'ERR_CHANGED') {
            throw reopenError;
          }
          throw broken(`${messageOf(error)}; resuming failed: ${messageOf(reopenError)}`, error);
        }
        response = next.response;
        node = next.node;
      }
    }
  }

  return Readable.from(chunks(), { objectMode: false });
}

/**
 * The request body handed to `FileService.put`, decoupled from the request itself. A store that
 * fails part-way (too large, disk full, integrity) destroys the stream it was given; were that the
 * request, the socket would go with it and the client would see "connection reset" instead of our
 * 413 or 507. With the body detached we can answer, then drain what the client is still sending.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import type { HttpTunables } from '../config.js';
import { NodeError } from '../errors.js';

export interface UploadBody {
  stream: Readable;
  /** After a failed put: stop feeding the store and discard the rest of the request (bounded). */
  discardRest(): void;
}

export function uploadBody(
  req: IncomingMessage,
  limits: Pick<HttpTunables, 'uploadBufferBytes' | 'uploadDrainMaxBytes'>,
): UploadBody {
  const stream = new PassThrough({ highWaterMark: limits.uploadBufferBytes });
  req.pipe(stream);
  req.once('error', (error) => stream.destroy(error));
  req.once('close', () => {
    if (!req.complete)
      stream.destroy(new NodeError('ERR_BAD_REQUEST', 'the client aborted the upload'));
  });
  return {
    stream,
    discardRest() {
      req.unpipe(stream);
      if (req.complete) return;
      let drained = 0;
      req.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        // Past this, stop being polite and close the connection.
        if (drained > limits.uploadDrainMaxBytes) req.socket.destroy();
      });
      req.resume();
    },
  };
}

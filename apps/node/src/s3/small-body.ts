/**
 * The small XML bodies of S3 requests (CreateBucket, DeleteObjects, CompleteMultipartUpload), read
 * whole — they are bounded (`MAX_XML_BODY_BYTES`) — after the same payload checks as an upload.
 */
import type { IncomingMessage } from 'node:http';
import { MAX_XML_BODY_BYTES, S3Error, type VerifiedRequest } from '@dfs/s3';
import { uploadPayload } from './payload.js';

export async function readSmallBody(
  req: IncomingMessage,
  verified: VerifiedRequest,
): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > MAX_XML_BODY_BYTES * 2) {
    throw new S3Error(
      'EntityTooLarge',
      `request bodies here are at most ${MAX_XML_BODY_BYTES} bytes`,
    );
  }
  const { stream } = uploadPayload(req, verified);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_XML_BODY_BYTES) {
      stream.destroy();
      throw new S3Error(
        'EntityTooLarge',
        `request bodies here are at most ${MAX_XML_BODY_BYTES} bytes`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

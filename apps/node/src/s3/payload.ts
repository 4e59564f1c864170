/**
 * The body of an S3 upload as the file service should see it: the decoded payload, checked while it
 * streams against everything the request promised about it — its signed sha256, its aws-chunked
 * framing and chunk signatures, a `Content-MD5`, an `x-amz-checksum-*` header or trailer — and
 * hashed with MD5 for the object's ETag. A failed check errors the stream, so the store's atomic
 * write keeps nothing; nothing is buffered.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Transform } from 'node:stream';
import type { Readable, TransformCallback } from 'node:stream';
import {
  AwsChunkedDecoder,
  CHECKSUM_ALGORITHMS,
  ChecksumHasher,
  S3Error,
  checksumAlgorithmOf,
  checksumHeader,
  type VerifiedRequest,
} from '@dfs/s3';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface Expected {
  sha256?: string;
  md5Base64?: string;
  checksums: { hasher: ChecksumHasher; value: string }[];
}

/** MD5 always; the request's own digests when it gave any; compared at the end. */
class PayloadDigests extends Transform {
  readonly #md5 = createHash('md5');
  readonly #sha256;
  readonly #expected: Expected;
  #md5Hex: string | undefined;
  bytes = 0;

  constructor(expected: Expected) {
    super();
    this.#expected = expected;
    this.#sha256 = expected.sha256 === undefined ? undefined : createHash('sha256');
  }

  get md5Hex(): string {
    if (this.#md5Hex === undefined) throw new Error('the payload has not ended');
    return this.#md5Hex;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, callback: TransformCallback): void {
    this.#md5.update(chunk);
    this.#sha256?.update(chunk);
    for (const c of this.#expected.checksums) c.hasher.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const md5 = this.#md5.digest();
    this.#md5Hex = md5.toString('hex');
    const { sha256, md5Base64, checksums } = this.#expected;
    if (sha256 !== undefined && this.#sha256?.digest('hex') !== sha256) {
      callback(
        new S3Error(
          'XAmzContentSHA256Mismatch',
          'the provided x-amz-content-sha256 does not match what was computed',
        ),
      );
      return;
    }
    if (md5Base64 !== undefined && md5.toString('base64') !== md5Base64) {
      callback(
        new S3Error('BadDigest', 'the Content-MD5 you specified did not match what we received'),
      );
      return;
    }
    for (const c of checksums) {
      if (c.hasher.digestBase64() !== c.value) {
        callback(
          new S3Error(
            'BadDigest',
            `the ${c.hasher.algorithm} you specified did not match the calculated checksum`,
          ),
        );
        return;
      }
    }
    callback();
  }
}

export interface UploadPayload {
  stream: Readable;
  /** The MD5 of the decoded body, hex; only once `stream` ended. */
  md5Hex(): string;
}

/** The decoded, checked body of `req`, whose signature `verified` describes. */
export function uploadPayload(req: IncomingMessage, verified: VerifiedRequest): UploadPayload {
  const headers = req.headers;
  const md5Header = single(headers['content-md5']);
  if (md5Header !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5Header)) {
    throw new S3Error('InvalidDigest', 'the Content-MD5 you specified is not valid');
  }
  const checksums: Expected['checksums'] = [];
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = single(headers[checksumHeader(algorithm)]);
    if (value !== undefined) checksums.push({ hasher: new ChecksumHasher(algorithm), value });
  }
  const payload = verified.payload;
  const digests = new PayloadDigests({
    ...(payload.kind === 'sha256' ? { sha256: payload.sha256 } : {}),
    ...(md5Header === undefined ? {} : { md5Base64: md5Header }),
    checksums,
  });
  let source: Readable = req;
  if (payload.kind === 'streaming') {
    const trailerName = single(headers['x-amz-trailer'])?.trim().toLowerCase();
    const trailerChecksum =
      trailerName === undefined ? undefined : checksumAlgorithmOf(trailerName);
    if (trailerName !== undefined && trailerChecksum === undefined) {
      throw new S3Error('InvalidRequest', `the trailer ${trailerName} is not supported`);
    }
    const declared = single(headers['x-amz-decoded-content-length']);
    if (declared !== undefined && !/^\d{1,16}$/.test(declared)) {
      throw new S3Error('InvalidArgument', 'x-amz-decoded-content-length is not a number');
    }
    const decoder = new AwsChunkedDecoder({
      ...(payload.signed ? { signing: verified.signing } : {}),
      trailer: payload.trailer,
      ...(trailerChecksum === undefined ? {} : { trailerChecksum }),
      ...(declared === undefined ? {} : { decodedLength: Number(declared) }),
    });
    req.on('error', (error) => decoder.destroy(error));
    source = req.pipe(decoder);
  }
  source.on('error', (error) => digests.destroy(error));
  // A small body can flow through and fail its check before the consumer starts reading (the file
  // service opens pushes first): that must not be an uncaught 'error'. The consumer still gets it.
  digests.on('error', () => undefined);
  const stream = source.pipe(digests);
  return { stream, md5Hex: () => digests.md5Hex };
}

/** The declared size of the decoded body, when the request says (for an early EntityTooLarge). */
export function declaredSize(req: IncomingMessage): number | undefined {
  const decoded = single(req.headers['x-amz-decoded-content-length']);
  const text = decoded ?? single(req.headers['content-length']);
  return text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/** `source` passed through an MD5 (for a copy's ETag); the digest once the stream ended. */
export function md5Passing(source: Readable): UploadPayload {
  const digests = new PayloadDigests({ checksums: [] });
  source.on('error', (error) => digests.destroy(error));
  digests.on('error', () => undefined);
  return { stream: source.pipe(digests), md5Hex: () => digests.md5Hex };
}

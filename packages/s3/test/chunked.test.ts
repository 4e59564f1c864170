import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AwsChunkedDecoder,
  ChecksumHasher,
  EMPTY_SHA256,
  MAX_CHUNK_LINE,
  MAX_TRAILER_LINES,
  hmacHex,
  isS3Error,
  sha256Hex,
  signingKey,
} from '../src/index.js';
import type { ChecksumAlgorithm, ChunkedDecoderOptions, SigningContext } from '../src/index.js';

const signing: SigningContext = {
  amzDate: '20260102T030405Z',
  scope: '20260102/us-east-1/s3/aws4_request',
  key: signingKey('secret', '20260102', 'us-east-1'),
  seedSignature: 'f'.repeat(64),
};

interface Encoding {
  signed: boolean;
  trailer?: { algorithm: ChecksumAlgorithm; value?: string };
}

/** An aws-chunked body of `chunks`, as a client would frame it. */
function encode(chunks: Buffer[], how: Encoding): Buffer {
  const out: Buffer[] = [];
  let previous = signing.seedSignature;
  const sign = (data: Buffer): string => {
    const sts = [
      'AWS4-HMAC-SHA256-PAYLOAD',
      signing.amzDate,
      signing.scope,
      previous,
      EMPTY_SHA256,
      sha256Hex(data),
    ].join('\n');
    previous = hmacHex(signing.key, sts);
    return previous;
  };
  for (const data of [...chunks.filter((c) => c.length > 0), Buffer.alloc(0)]) {
    const extension = how.signed ? `;chunk-signature=${sign(data)}` : '';
    out.push(Buffer.from(`${data.length.toString(16)}${extension}\r\n`), data);
    if (data.length > 0) out.push(Buffer.from('\r\n'));
  }
  if (how.trailer !== undefined) {
    const hasher = new ChecksumHasher(how.trailer.algorithm);
    for (const c of chunks) hasher.update(c);
    const line = `x-amz-checksum-${how.trailer.algorithm}:${how.trailer.value ?? hasher.digestBase64()}`;
    out.push(Buffer.from(`${line}\r\n`));
    if (how.signed) {
      const sts = [
        'AWS4-HMAC-SHA256-TRAILER',
        signing.amzDate,
        signing.scope,
        previous,
        sha256Hex(`${line}\n`),
      ].join('\n');
      out.push(Buffer.from(`x-amz-trailer-signature:${hmacHex(signing.key, sts)}\r\n`));
    }
  }
  out.push(Buffer.from('\r\n'));
  return Buffer.concat(out);
}

/** `bytes` fed to a decoder in pieces cut at `cuts`. */
async function decode(
  bytes: Buffer,
  options: ChunkedDecoderOptions,
  cuts: number[] = [],
): Promise<Buffer> {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) pieces.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return buffer(Readable.from(pieces).pipe(new AwsChunkedDecoder(options)));
}

async function failure(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isS3Error(error)) return error.code;
    throw error;
  }
  return undefined;
}

const chunksArbitrary = fc.array(
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  { maxLength: 8 },
);
const algorithm = fc.constantFrom<ChecksumAlgorithm>('crc32', 'crc32c', 'sha1', 'sha256');

describe('aws-chunked decoding', () => {
  it('returns exactly the payload, however the bytes are split (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        chunksArbitrary,
        fc.boolean(),
        fc.option(algorithm, { nil: undefined }),
        fc.array(fc.nat(), { maxLength: 12 }),
        async (chunks, signed, checksum, cuts) => {
          const trailer = checksum === undefined ? undefined : { algorithm: checksum };
          const bytes = encode(chunks, { signed, ...(trailer ? { trailer } : {}) });
          const payload = Buffer.concat(chunks);
          const out = await decode(
            bytes,
            {
              ...(signed ? { signing } : {}),
              trailer: trailer !== undefined,
              ...(checksum ? { trailerChecksum: checksum } : {}),
              decodedLength: payload.length,
            },
            cuts,
          );
          expect(out.equals(payload)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('any changed payload byte of a signed body fails with SignatureDoesNotMatch (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.uint8Array({ minLength: 1, maxLength: 100 }).map((a) => Buffer.from(a)),
          { minLength: 1, maxLength: 4 },
        ),
        fc.nat(),
        async (chunks, pick) => {
          const bytes = encode(chunks, { signed: true });
          // Flip a byte inside the data of one chunk (never in framing).
          const dataOffsets: number[] = [];
          let at = 0;
          for (const c of chunks) {
            at = bytes.indexOf('\r\n', at) + 2;
            for (let i = 0; i < c.length; i++) dataOffsets.push(at + i);
            at += c.length + 2;
          }
          const tampered = Buffer.from(bytes);
          const offset = dataOffsets[pick % dataOffsets.length]!;
          tampered[offset] = tampered[offset]! ^ 0x01;
          expect(await failure(decode(tampered, { signing, trailer: false }))).toBe(
            'SignatureDoesNotMatch',
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a trailer checksum that does not match the bytes is BadDigest', async () => {
    for (const alg of ['crc32', 'crc32c', 'sha1', 'sha256'] as const) {
      const bytes = encode([Buffer.from('hello')], {
        signed: false,
        trailer: { algorithm: alg, value: 'AAAAAA==' },
      });
      expect(await failure(decode(bytes, { trailer: true, trailerChecksum: alg }))).toBe(
        'BadDigest',
      );
    }
  });

  it('knows the checksums of known bytes', () => {
    const values: Record<ChecksumAlgorithm, string> = {
      crc32: 'NhCmhg==',
      crc32c: 'mnG7TA==',
      sha1: 'qvTGHdzF6KLavt4PO0gs2a6pQ00=',
      sha256: 'LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=',
    };
    for (const [alg, value] of Object.entries(values)) {
      const hasher = new ChecksumHasher(alg as ChecksumAlgorithm);
      hasher.update(Buffer.from('hello'));
      expect(hasher.digestBase64()).toBe(value);
    }
  });

  it('a signed trailer with a wrong signature fails', async () => {
    const bytes = encode([Buffer.from('abc')], { signed: true, trailer: { algorithm: 'crc32' } });
    const tampered = Buffer.from(
      bytes
        .toString('latin1')
        .replace(
          /x-amz-trailer-signature:([0-9a-f])/,
          (_m, c: string) => `x-amz-trailer-signature:${c === '0' ? '1' : '0'}`,
        ),
      'latin1',
    );
    expect(
      await failure(decode(tampered, { signing, trailer: true, trailerChecksum: 'crc32' })),
    ).toBe('SignatureDoesNotMatch');
  });

  it('a body cut short, or longer or shorter than declared, is IncompleteBody', async () => {
    const bytes = encode([Buffer.from('hello world')], { signed: false });
    expect(await failure(decode(bytes.subarray(0, bytes.length - 5), { trailer: false }))).toBe(
      'IncompleteBody',
    );
    expect(await failure(decode(bytes, { trailer: false, decodedLength: 10 }))).toBe(
      'IncompleteBody',
    );
    expect(await failure(decode(bytes, { trailer: false, decodedLength: 12 }))).toBe(
      'IncompleteBody',
    );
  });

  it('bounds a chunk line, a chunk size and the trailer', async () => {
    const longLine = Buffer.from(`5;${'x'.repeat(MAX_CHUNK_LINE)}\r\nhello\r\n0\r\n\r\n`);
    expect(await failure(decode(longLine, { trailer: false }))).toBe('InvalidRequest');
    expect(await failure(decode(Buffer.from('ffffffff\r\n'), { trailer: false }))).toBe(
      'InvalidRequest',
    );
    expect(await failure(decode(Buffer.from('123456789\r\n'), { trailer: false }))).toBe(
      'InvalidRequest',
    );
    const many = Array.from({ length: MAX_TRAILER_LINES + 1 }, (_v, i) => `x-t${i}:v\r\n`).join('');
    expect(await failure(decode(Buffer.from(`0\r\n${many}\r\n`), { trailer: true }))).toBe(
      'InvalidRequest',
    );
  });

  it('refuses unsigned chunks where signatures are required, and bytes after the end', async () => {
    const unsigned = encode([Buffer.from('abc')], { signed: false });
    expect(await failure(decode(unsigned, { signing, trailer: false }))).toBe(
      'SignatureDoesNotMatch',
    );
    const extra = Buffer.concat([unsigned, Buffer.from('x')]);
    expect(await failure(decode(extra, { trailer: false }))).toBe('InvalidRequest');
  });
});

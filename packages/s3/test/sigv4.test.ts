import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  MAX_CLOCK_SKEW_MS,
  canonicalQuery,
  isS3Error,
  verifyHeaderSignature,
  verifyPresignedSignature,
  verifyRequestSignature,
} from '../src/index.js';
import type { SignedRequest, VerifyOptions } from '../src/index.js';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const signingDate = new Date('2026-01-02T03:04:05Z');
const signer = new SignatureV4({
  credentials,
  region: 'us-east-1',
  service: 's3',
  sha256: Sha256,
  uriEscapePath: false,
});
const options: VerifyOptions = {
  secretFor: (id) => (id === credentials.accessKeyId ? credentials.secretAccessKey : undefined),
  region: 'us-east-1',
  now: signingDate.getTime(),
};

/** Signs like the AWS SDK does and returns the request as our node would receive it. */
async function signed(
  path: string,
  query: Record<string, string>,
  headers: Record<string, string> = {},
  presign?: number,
): Promise<SignedRequest> {
  const request = {
    method: 'GET',
    protocol: 'http:',
    hostname: 'localhost',
    port: 9000,
    path,
    query,
    // The S3 presigner signs UNSIGNED-PAYLOAD, as this header does (the signer hoists it into the query).
    headers: {
      host: 'localhost:9000',
      ...(presign === undefined ? {} : { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' }),
      ...headers,
    },
  };
  const out =
    presign === undefined
      ? await signer.sign(request, { signingDate })
      : await signer.presign(request, { signingDate, expiresIn: presign });
  const rawQuery = Object.entries(out.query ?? {})
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
    .join('&');
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(out.headers)) lower[k.toLowerCase()] = v;
  return { method: out.method, rawPath: out.path, rawQuery, headers: lower };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isS3Error(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('Signature V4 in the Authorization header', () => {
  it('accepts what the AWS signer produces, with encoded keys and queries', async () => {
    const request = await signed(
      '/bucket/photos/%C3%A9t%C3%A9%201.jpg',
      { 'list-type': '2', prefix: 'a b/c', 'continuation-token': 'x+y=' },
      { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', 'x-amz-meta-owner': '  ann   and  bob ' },
    );
    const verified = verifyHeaderSignature(request, options);
    expect(verified.accessKeyId).toBe(credentials.accessKeyId);
    expect(verified.payload).toEqual({ kind: 'unsigned' });
    expect(verified.signing.scope).toBe('20260102/us-east-1/s3/aws4_request');
  });

  it('reports what the payload hash asks for', async () => {
    const sha = 'a'.repeat(64);
    const plain = await signed('/b/k', {}, { 'x-amz-content-sha256': sha });
    expect(verifyRequestSignature(plain, options).payload).toEqual({ kind: 'sha256', sha256: sha });
    const streaming = await signed(
      '/b/k',
      {},
      {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      },
    );
    expect(verifyRequestSignature(streaming, options).payload).toEqual({
      kind: 'streaming',
      signed: false,
      trailer: true,
    });
  });

  it('refuses a changed path, query or signed header with SignatureDoesNotMatch', async () => {
    const request = await signed(
      '/b/key',
      { prefix: 'p' },
      { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    );
    expect(codeOf(() => verifyHeaderSignature({ ...request, rawPath: '/b/kez' }, options))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(codeOf(() => verifyHeaderSignature({ ...request, rawQuery: 'prefix=q' }, options))).toBe(
      'SignatureDoesNotMatch',
    );
    const headers = { ...request.headers, 'x-amz-content-sha256': 'a'.repeat(64) };
    expect(codeOf(() => verifyHeaderSignature({ ...request, headers }, options))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(codeOf(() => verifyHeaderSignature({ ...request, method: 'PUT' }, options))).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('refuses an unknown key, a wrong secret, a wrong region and a skewed clock', async () => {
    const request = await signed('/b/k', {}, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    expect(
      codeOf(() => verifyHeaderSignature(request, { ...options, secretFor: () => undefined })),
    ).toBe('InvalidAccessKeyId');
    expect(
      codeOf(() => verifyHeaderSignature(request, { ...options, secretFor: () => 'other' })),
    ).toBe('SignatureDoesNotMatch');
    expect(codeOf(() => verifyHeaderSignature(request, { ...options, region: 'eu-west-1' }))).toBe(
      'AuthorizationHeaderMalformed',
    );
    const late = { ...options, now: options.now + MAX_CLOCK_SKEW_MS + 1000 };
    expect(codeOf(() => verifyHeaderSignature(request, late))).toBe('RequestTimeTooSkewed');
  });

  it('refuses malformed or missing authorization', async () => {
    const request = await signed('/b/k', {}, { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' });
    const without = { ...request.headers, authorization: undefined };
    expect(codeOf(() => verifyHeaderSignature({ ...request, headers: without }, options))).toBe(
      'AccessDenied',
    );
    const v2 = { ...request.headers, authorization: 'AWS AKIDEXAMPLE:abc' };
    expect(codeOf(() => verifyHeaderSignature({ ...request, headers: v2 }, options))).toBe(
      'AuthorizationHeaderMalformed',
    );
    const long = { ...request.headers, authorization: `AWS4-HMAC-SHA256 ${'x'.repeat(5000)}` };
    expect(codeOf(() => verifyHeaderSignature({ ...request, headers: long }, options))).toBe(
      'AuthorizationHeaderMalformed',
    );
    const noHash = { ...request.headers, 'x-amz-content-sha256': undefined };
    expect(codeOf(() => verifyHeaderSignature({ ...request, headers: noHash }, options))).toBe(
      'InvalidRequest',
    );
  });
});

describe('presigned URLs', () => {
  it('accepts a presigned URL until it expires, then AccessDenied', async () => {
    const request = await signed(
      '/b/some%20key',
      { 'response-content-type': 'text/plain' },
      {},
      60,
    );
    const verified = verifyPresignedSignature(request, options);
    expect(verified).toMatchObject({ presigned: true, payload: { kind: 'unsigned' } });
    expect(
      verifyRequestSignature(request, { ...options, now: options.now + 60_000 }).presigned,
    ).toBe(true);
    expect(
      codeOf(() => verifyRequestSignature(request, { ...options, now: options.now + 61_000 })),
    ).toBe('AccessDenied');
  });

  it('refuses a presigned URL with a changed query or a tampered signature', async () => {
    const request = await signed('/b/k', {}, {}, 60);
    expect(
      codeOf(() =>
        verifyRequestSignature({ ...request, rawQuery: `${request.rawQuery}&x=1` }, options),
      ),
    ).toBe('SignatureDoesNotMatch');
    const tampered = request.rawQuery.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`,
    );
    expect(codeOf(() => verifyRequestSignature({ ...request, rawQuery: tampered }, options))).toBe(
      'SignatureDoesNotMatch',
    );
  });

  it('bounds X-Amz-Expires at seven days', async () => {
    const request = await signed('/b/k', {}, {}, 60);
    const week = request.rawQuery.replace('X-Amz-Expires=60', 'X-Amz-Expires=604801');
    expect(codeOf(() => verifyRequestSignature({ ...request, rawQuery: week }, options))).toBe(
      'AuthorizationQueryParametersError',
    );
  });
});

describe('canonical query', () => {
  it('sorts by name then value and re-encodes the AWS way', () => {
    expect(canonicalQuery('b=2&a=%7e&a=1&c')).toBe('a=1&a=~&b=2&c=');
    expect(canonicalQuery('k=a%20b+c')).toBe('k=a%20b%2Bc');
    expect(codeOf(() => canonicalQuery('k=%ZZ'))).toBe('InvalidArgument');
  });
});

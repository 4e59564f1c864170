/**
 * AWS Signature Version 4 verification for S3, in both forms: the `Authorization` header and the
 * presigned URL (`X-Amz-Signature` in the query). Pure: a request's method, raw path, raw query and
 * headers in, the verified identity and what its payload must satisfy out, or an `S3Error` with
 * S3's code for what is wrong.
 *
 * The canonical request is rebuilt from the decoded path and query, re-encoded the AWS way
 * (uri-encode.ts), with the signed headers' values trimmed and inner runs of spaces folded. The
 * signature is compared in constant time. What the payload hash says is returned for the caller to
 * enforce while the body streams: a hex sha256 the body must hash to, `UNSIGNED-PAYLOAD`, or one of
 * the `STREAMING-*` modes whose aws-chunked body chunked.ts decodes (their seed signature and
 * signing key are returned for the per-chunk signatures).
 *
 * Secrets are never part of an error message or a returned value other than the derived key.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from './errors.js';
import { awsUriEncode, uriDecode } from './uri-encode.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
/** The sha256 of nothing, in hex: a chunk-signature's empty "previous headers" hash. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** How far a header-signed request's `X-Amz-Date` may be from now (S3's 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL may be valid (S3's 7 days). */
export const MAX_PRESIGNED_EXPIRES_S = 7 * 24 * 3600;
/** Headers a signature may list; a longer list is refused before anything is hashed. */
const MAX_SIGNED_HEADERS = 64;
const MAX_AUTH_LENGTH = 4096;

/** The parts of a request a signature covers, as they arrived. */
export interface SignedRequest {
  method: string;
  /** The path as sent, still percent-encoded, without the query. */
  rawPath: string;
  /** The query string as sent, without `?` (empty when none). */
  rawQuery: string;
  /** Header names lower-case, as node:http gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface VerifyOptions {
  /** The secret of an access key id, or undefined when no such key exists. */
  secretFor(accessKeyId: string): string | undefined;
  /** The region this endpoint signs for (the credential scope's must equal it). */
  region: string;
  /** Wall-clock ms now (from the injected clock). */
  now: number;
}

/**
 * What a request's payload must satisfy: `sha256` — the body must hash to it (hex); `unsigned` —
 * nothing; `streaming` — an aws-chunked body, with per-chunk signatures when `signed`, and trailers
 * when `trailer`.
 */
export type PayloadRule =
  | { kind: 'sha256'; sha256: string }
  | { kind: 'unsigned' }
  | { kind: 'streaming'; signed: boolean; trailer: boolean };

/** What a chunk signature chain starts from (chunked.ts). */
export interface SigningContext {
  /** `X-Amz-Date`, as `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  /** `<date>/<region>/s3/aws4_request`. */
  scope: string;
  /** The derived signing key. */
  key: Buffer;
  /** The request's own signature: the first chunk's "previous signature". */
  seedSignature: string;
}

export interface VerifiedRequest {
  accessKeyId: string;
  payload: PayloadRule;
  signing: SigningContext;
  /** True for a presigned URL. */
  presigned: boolean;
}

interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  scope: string;
}

/** The derived key of a secret for one date (`YYYYMMDD`), region and service. */
export function signingKey(secret: string, date: string, region: string, service = 's3'): Buffer {
  const kDate = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const kRegion = createHmac('sha256', kDate).update(region).digest();
  const kService = createHmac('sha256', kRegion).update(service).digest();
  return createHmac('sha256', kService).update('aws4_request').digest();
}

export function hmacHex(key: Buffer, text: string): string {
  return createHmac('sha256', key).update(text).digest('hex');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The canonical query: decoded, re-encoded, sorted by name then value; `omit` names left out. */
export function canonicalQuery(rawQuery: string, omit?: string): string {
  if (rawQuery === '') return '';
  const pairs: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const at = part.indexOf('=');
    const name = uriDecode(at < 0 ? part : part.slice(0, at));
    const value = uriDecode(at < 0 ? '' : part.slice(at + 1));
    if (name === undefined || value === undefined) {
      throw new S3Error('InvalidArgument', 'the query string is not valid percent-encoded UTF-8');
    }
    if (name === omit) continue;
    pairs.push([awsUriEncode(name), awsUriEncode(value)]);
  }
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** The canonical path: decoded, then each segment re-encoded (S3 does not normalise `.`/`..`). */
export function canonicalPath(rawPath: string): string {
  const decoded = uriDecode(rawPath);
  if (decoded === undefined) {
    throw new S3Error('InvalidArgument', 'the path is not valid percent-encoded UTF-8');
  }
  return awsUriEncode(decoded, true);
}

function headerValue(value: string | string[] | undefined): string {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.map((v) => v.trim().replace(/ +/g, ' ')).join(',');
}

export function canonicalRequest(
  request: SignedRequest,
  signedHeaders: readonly string[],
  payloadHash: string,
  omitQuery?: string,
): string {
  const headers = signedHeaders
    .map((name) => `${name}:${headerValue(request.headers[name])}\n`)
    .join('');
  return [
    request.method,
    canonicalPath(request.rawPath),
    canonicalQuery(request.rawQuery, omitQuery),
    headers,
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** `YYYYMMDDTHHMMSSZ` → ms, or undefined when malformed. */
export function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  return Number.isNaN(ms) ? undefined : ms;
}

function parseCredential(
  text: string,
  region: string,
  code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError',
): Credential {
  const parts = text.split('/');
  if (parts.length !== 5)
    throw new S3Error(code, 'the credential is not <key>/<date>/<region>/s3/aws4_request');
  const [accessKeyId, date, scopeRegion, service, terminator] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  if (
    accessKeyId === '' ||
    !/^\d{8}$/.test(date) ||
    service !== 's3' ||
    terminator !== 'aws4_request'
  ) {
    throw new S3Error(code, 'the credential is not <key>/<date>/<region>/s3/aws4_request');
  }
  if (scopeRegion !== region) {
    throw new S3Error(code, `the region '${scopeRegion}' is wrong; expecting '${region}'`);
  }
  return { accessKeyId, date, region, scope: `${date}/${region}/s3/aws4_request` };
}

function parseSignedHeaders(
  text: string,
  code: 'AuthorizationHeaderMalformed' | 'AuthorizationQueryParametersError',
): string[] {
  const names = text.split(';');
  if (names.length > MAX_SIGNED_HEADERS || names.some((n) => !/^[a-z0-9-]+$/.test(n))) {
    throw new S3Error(code, 'the signed headers are not a ;-separated list of lower-case names');
  }
  if (!names.includes('host')) throw new S3Error(code, 'the host header must be signed');
  return names;
}

function signatureMatches(expected: string, given: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

function secretOf(options: VerifyOptions, accessKeyId: string): string {
  const secret = options.secretFor(accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 'the access key id does not exist in our records');
  }
  return secret;
}

function payloadRuleOf(hash: string | undefined): PayloadRule {
  if (hash === undefined) {
    throw new S3Error(
      'InvalidRequest',
      'missing required header for this request: x-amz-content-sha256',
    );
  }
  if (hash === UNSIGNED_PAYLOAD) return { kind: 'unsigned' };
  if (hash === STREAMING_SIGNED) return { kind: 'streaming', signed: true, trailer: false };
  if (hash === STREAMING_SIGNED_TRAILER) return { kind: 'streaming', signed: true, trailer: true };
  if (hash === STREAMING_UNSIGNED_TRAILER)
    return { kind: 'streaming', signed: false, trailer: true };
  if (/^[0-9a-f]{64}$/.test(hash)) return { kind: 'sha256', sha256: hash };
  throw new S3Error(
    'InvalidArgument',
    'x-amz-content-sha256 must be a sha256 or a known payload mode',
  );
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** True when the request carries a presigned-URL signature rather than an Authorization header. */
export function isPresigned(rawQuery: string): boolean {
  return /(^|&)X-Amz-Signature=/.test(rawQuery);
}

/** Verifies an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` request. */
export function verifyHeaderSignature(
  request: SignedRequest,
  options: VerifyOptions,
): VerifiedRequest {
  const auth = single(request.headers.authorization);
  if (auth === undefined) throw new S3Error('AccessDenied', 'anonymous access is not allowed');
  if (auth.length > MAX_AUTH_LENGTH) {
    throw new S3Error('AuthorizationHeaderMalformed', 'the Authorization header is too long');
  }
  if (!auth.startsWith(`${ALGORITHM} `)) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      `only ${ALGORITHM} (Signature V4) is supported`,
    );
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const at = part.indexOf('=');
    if (at > 0) fields.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const credentialText = fields.get('Credential');
  const signedText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credentialText === undefined || signedText === undefined || signature === undefined) {
    throw new S3Error(
      'AuthorizationHeaderMalformed',
      'the Authorization header needs Credential, SignedHeaders and Signature',
    );
  }
  const credential = parseCredential(
    credentialText,
    options.region,
    'AuthorizationHeaderMalformed',
  );
  const signedHeaders = parseSignedHeaders(signedText, 'AuthorizationHeaderMalformed');
  const amzDate = single(request.headers['x-amz-date']) ?? '';
  const at = parseAmzDate(amzDate);
  if (at === undefined) {
    throw new S3Error('AccessDenied', 'X-Amz-Date is missing or not YYYYMMDDTHHMMSSZ');
  }
  if (!amzDate.startsWith(credential.date)) {
    throw new S3Error('SignatureDoesNotMatch', 'the credential date is not the date of X-Amz-Date');
  }
  if (Math.abs(options.now - at) > MAX_CLOCK_SKEW_MS) {
    throw new S3Error(
      'RequestTimeTooSkewed',
      'the difference between the request time and the server time is too large',
    );
  }
  const secret = secretOf(options, credential.accessKeyId);
  const payloadHash = single(request.headers['x-amz-content-sha256']);
  const payload = payloadRuleOf(payloadHash);
  const canonical = canonicalRequest(request, signedHeaders, payloadHash as string);
  return checkedSignature({ secret, credential, amzDate, canonical, signature, payload }, false);
}

/** Computes the signature of `canonical` and compares it with the one the request carries. */
function checkedSignature(
  parts: {
    secret: string;
    credential: Credential;
    amzDate: string;
    canonical: string;
    signature: string;
    payload: VerifiedRequest['payload'];
  },
  presigned: boolean,
): VerifiedRequest {
  const { secret, credential, amzDate, canonical, signature, payload } = parts;
  const key = signingKey(secret, credential.date, credential.region);
  const expected = hmacHex(key, stringToSign(amzDate, credential.scope, canonical));
  if (!signatureMatches(expected, signature)) {
    throw new S3Error(
      'SignatureDoesNotMatch',
      'the request signature we calculated does not match the signature you provided',
    );
  }
  return {
    accessKeyId: credential.accessKeyId,
    payload,
    signing: { amzDate, scope: credential.scope, key, seedSignature: signature },
    presigned,
  };
}

/** Verifies a presigned URL (`X-Amz-Algorithm`, `-Credential`, `-Date`, `-Expires`, `-SignedHeaders`, `-Signature`). */
export function verifyPresignedSignature(
  request: SignedRequest,
  options: VerifyOptions,
): VerifiedRequest {
  const params = new Map<string, string>();
  for (const part of request.rawQuery.split('&')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const value = uriDecode(part.slice(at + 1));
    if (value !== undefined) params.set(part.slice(0, at), value);
  }
  const code = 'AuthorizationQueryParametersError';
  if (params.get('X-Amz-Algorithm') !== ALGORITHM) {
    throw new S3Error(code, `X-Amz-Algorithm must be ${ALGORITHM}`);
  }
  const credential = parseCredential(params.get('X-Amz-Credential') ?? '', options.region, code);
  const signedHeaders = parseSignedHeaders(params.get('X-Amz-SignedHeaders') ?? '', code);
  const amzDate = params.get('X-Amz-Date') ?? '';
  const at = parseAmzDate(amzDate);
  if (at === undefined) throw new S3Error(code, 'X-Amz-Date must be YYYYMMDDTHHMMSSZ');
  if (!amzDate.startsWith(credential.date)) {
    throw new S3Error('SignatureDoesNotMatch', 'the credential date is not the date of X-Amz-Date');
  }
  const expiresText = params.get('X-Amz-Expires') ?? '';
  const expires = /^\d{1,7}$/.test(expiresText) ? Number(expiresText) : NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGNED_EXPIRES_S)) {
    throw new S3Error(
      code,
      `X-Amz-Expires must be a number of seconds from 1 to ${MAX_PRESIGNED_EXPIRES_S}`,
    );
  }
  if (at - options.now > MAX_CLOCK_SKEW_MS) {
    throw new S3Error('AccessDenied', 'the request is not yet valid');
  }
  if (options.now > at + expires * 1000) throw new S3Error('AccessDenied', 'request has expired');
  const secret = secretOf(options, credential.accessKeyId);
  const signature = params.get('X-Amz-Signature') ?? '';
  const payloadHash =
    params.get('X-Amz-Content-Sha256') ??
    single(request.headers['x-amz-content-sha256']) ??
    UNSIGNED_PAYLOAD;
  const payload = payloadRuleOf(payloadHash);
  if (payload.kind === 'streaming') {
    throw new S3Error('InvalidRequest', 'a presigned URL cannot carry a streaming payload');
  }
  const canonical = canonicalRequest(request, signedHeaders, payloadHash, 'X-Amz-Signature');
  return checkedSignature({ secret, credential, amzDate, canonical, signature, payload }, true);
}

/** Verifies either form: presigned when the query carries `X-Amz-Signature`, else the header. */
export function verifyRequestSignature(
  request: SignedRequest,
  options: VerifyOptions,
): VerifiedRequest {
  return isPresigned(request.rawQuery)
    ? verifyPresignedSignature(request, options)
    : verifyHeaderSignature(request, options);
}

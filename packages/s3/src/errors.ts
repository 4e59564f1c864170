/**
 * S3's error codes, each with the HTTP status S3 answers it with, in one table, and the error class
 * that carries one. The endpoint throws `S3Error`s and renders them as S3's `<Error>` XML
 * (xml.ts `renderError`); clients branch on the code, as they do against S3 itself.
 */
import { CodedError } from '@dfs/base';

export const S3_ERRORS = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  MissingSecurityHeader: 400,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  NotModified: 304,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof S3_ERRORS;

export class S3Error extends CodedError<S3ErrorCode> {
  override readonly name = 'S3Error';

  /** The HTTP status S3 answers this code with. */
  get status(): number {
    return S3_ERRORS[this.code];
  }
}

export function isS3Error(error: unknown, code?: S3ErrorCode): error is S3Error {
  return error instanceof S3Error && (code === undefined || error.code === code);
}

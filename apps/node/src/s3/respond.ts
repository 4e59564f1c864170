/**
 * How the S3 endpoint answers: XML documents, empty answers and S3 error documents, each with the
 * request's id (`x-amz-request-id`, also in the error body). Errors that are not `S3Error`s (the
 * file service's coded errors) are mapped to S3 codes here, in one table.
 */
import type { ServerResponse } from 'node:http';
import { errorCode } from '@dfs/base';
import { S3Error, renderError, renderXml, type S3ErrorCode, type XmlObject } from '@dfs/s3';

const XML_TYPE = 'application/xml';

/** The S3 code of a file-service (or node) error code. */
const SERVICE_CODES: Record<string, S3ErrorCode> = {
  ERR_NOT_FOUND: 'NoSuchKey',
  ERR_TOO_LARGE: 'EntityTooLarge',
  ERR_RANGE: 'InvalidRange',
  ERR_UNAVAILABLE: 'ServiceUnavailable',
  ERR_TIMEOUT: 'ServiceUnavailable',
  ERR_NO_SPACE: 'ServiceUnavailable',
  ERR_INVALID_NAME: 'InvalidArgument',
  ERR_BAD_REQUEST: 'InvalidRequest',
};

export function toS3Error(error: unknown): S3Error {
  if (error instanceof S3Error) return error;
  const code = SERVICE_CODES[errorCode(error) ?? ''];
  if (code !== undefined) {
    return new S3Error(code, error instanceof Error ? error.message : String(error), {
      cause: error,
    });
  }
  return new S3Error('InternalError', 'we encountered an internal error, please try again', {
    cause: error,
  });
}

export function sendXml(
  res: ServerResponse,
  status: number,
  root: string,
  body: XmlObject,
  headers: Record<string, string> = {},
): void {
  const text = renderXml(root, body);
  res.writeHead(status, {
    ...headers,
    'content-type': XML_TYPE,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendEmpty(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number> = {},
): void {
  res.writeHead(status, headers);
  res.end();
}

/** An S3 error answer; a HEAD (or a 304) gets the status without a body. */
export function sendS3Error(
  res: ServerResponse,
  error: S3Error,
  requestId: string,
  resource: string,
  head: boolean,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const status = error.status;
  if (head || status === 304) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = renderError(error.code, error.message, requestId, resource);
  res.writeHead(status, {
    ...headers,
    'content-type': XML_TYPE,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

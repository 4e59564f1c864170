/**
 * The S3-compatible endpoint as one node:http request listener, on its own port (`--s3`): every
 * request gets an id, is authenticated with Signature V4 (@dfs/s3), addressed (address.ts) and
 * dispatched by method, bucket/key and sub-resource to the bucket, object and multipart routes.
 * Every failure answers as S3 error XML with S3's status and code. Access keys and signatures are
 * never logged: a request is logged by method, route, status and the access key id only.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { S3Error, verifyRequestSignature } from '@dfs/s3';
import { parseAddress } from './address.js';
import { createBucketRoutes } from './bucket-routes.js';
import type { S3Context, S3Options, S3Route } from './context.js';
import { createMultipartRoutes } from './multipart-routes.js';
import { createObjectRoutes } from './object-routes.js';
import { sendS3Error, sendXml, toS3Error } from './respond.js';

export type { S3Options } from './context.js';

/** Sub-resources S3 has that this endpoint does not implement (answered NotImplemented). */
const UNSUPPORTED = [
  'acl',
  'policy',
  'cors',
  'lifecycle',
  'tagging',
  'website',
  'replication',
  'encryption',
  'object-lock',
  'retention',
  'legal-hold',
  'notification',
  'logging',
  'requestPayment',
  'accelerate',
  'analytics',
  'inventory',
  'metrics',
  'ownershipControls',
  'publicAccessBlock',
  'intelligent-tiering',
  'restore',
  'select',
  'torrent',
  'versions',
  'attributes',
];

export function createS3Listener(
  options: S3Options,
): (req: IncomingMessage, res: ServerResponse) => void {
  const buckets = createBucketRoutes(options);
  const objects = createObjectRoutes(options);
  const multipart = createMultipartRoutes(options);
  const log = options.logger;

  function routeFor(method: string, ctx: S3Context): { label: string; route: S3Route } {
    const q = ctx.query;
    const unsupported = UNSUPPORTED.find((name) => q.has(name));
    if (unsupported !== undefined) {
      return {
        label: 'unsupported',
        route: () =>
          Promise.reject(
            new S3Error('NotImplemented', `the ${unsupported} sub-resource is not implemented`),
          ),
      };
    }
    if (ctx.bucket === undefined) {
      if (method === 'GET') return { label: 'ListBuckets', route: buckets.listBuckets };
    } else if (ctx.key === undefined) {
      switch (method) {
        case 'PUT':
          if (q.has('versioning')) break;
          return { label: 'CreateBucket', route: buckets.createBucket };
        case 'HEAD':
          return { label: 'HeadBucket', route: buckets.headBucket };
        case 'DELETE':
          return { label: 'DeleteBucket', route: buckets.deleteBucket };
        case 'POST':
          if (q.has('delete')) return { label: 'DeleteObjects', route: objects.deleteObjects };
          break;
        case 'GET':
          if (q.has('location')) return { label: 'GetBucketLocation', route: buckets.getLocation };
          if (q.has('uploads'))
            return { label: 'ListMultipartUploads', route: multipart.listUploads };
          if (q.has('versioning')) {
            return {
              label: 'GetBucketVersioning',
              route: async ({ res }) => sendXml(res, 200, 'VersioningConfiguration', {}),
            };
          }
          return { label: 'ListObjects', route: buckets.listObjects };
      }
    } else {
      switch (method) {
        case 'PUT':
          if (q.has('uploadId')) return { label: 'UploadPart', route: multipart.uploadPart };
          return { label: 'PutObject', route: objects.putObject };
        case 'GET':
          if (q.has('uploadId')) return { label: 'ListParts', route: multipart.listParts };
          return { label: 'GetObject', route: objects.getObject };
        case 'HEAD':
          return { label: 'HeadObject', route: objects.headObject };
        case 'DELETE':
          if (q.has('uploadId')) return { label: 'AbortMultipartUpload', route: multipart.abort };
          return { label: 'DeleteObject', route: objects.deleteObject };
        case 'POST':
          if (q.has('uploads')) return { label: 'CreateMultipartUpload', route: multipart.create };
          if (q.has('uploadId'))
            return { label: 'CompleteMultipartUpload', route: multipart.complete };
          break;
      }
    }
    return {
      label: 'unknown',
      route: () =>
        Promise.reject(
          new S3Error(
            'MethodNotAllowed',
            'the specified method is not allowed against this resource',
          ),
        ),
    };
  }

  return (req, res) => {
    const method = req.method ?? 'GET';
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('server', 'dfs');
    const url = req.url ?? '/';
    const at = url.indexOf('?');
    const rawPath = at < 0 ? url : url.slice(0, at);
    const rawQuery = at < 0 ? '' : url.slice(at + 1);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client disconnected'));
    });
    const signal = AbortSignal.any([controller.signal, options.shutdown]);
    let label = 'unknown';
    let accessKeyId: string | undefined;
    void (async () => {
      try {
        const verified = verifyRequestSignature(
          { method, rawPath, rawQuery, headers: req.headers },
          {
            secretFor: (id) => options.keys.get(id),
            region: options.region,
            now: options.clock.now(),
          },
        );
        accessKeyId = verified.accessKeyId;
        const address = parseAddress(rawPath, req.headers.host, options.domain);
        const ctx: S3Context = {
          req,
          res,
          query: new URLSearchParams(rawQuery),
          ...address,
          verified,
          requestId,
          signal,
        };
        const found = routeFor(method, ctx);
        label = found.label;
        await found.route(ctx);
      } catch (error) {
        const s3 = toS3Error(error);
        if (s3.status >= 500) log.warn({ err: error, requestId, op: label }, 's3 request failed');
        // A body we did not read: close the connection rather than drain an unknown amount.
        const headers: Record<string, string> = req.readableEnded ? {} : { connection: 'close' };
        sendS3Error(res, s3, requestId, rawPath, method === 'HEAD', headers);
      } finally {
        log.debug(
          { method, op: label, status: res.statusCode, requestId, accessKeyId },
          's3 request',
        );
      }
    })();
  };
}

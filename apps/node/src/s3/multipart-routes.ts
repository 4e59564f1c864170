/**
 * The S3 multipart operations over `MultipartUploads` (multipart-store.ts): CreateMultipartUpload,
 * UploadPart (acknowledged once the part is fsynced), ListParts, ListMultipartUploads,
 * CompleteMultipartUpload (the parts streamed in order into one dfs file, which then replicates as
 * any other) and AbortMultipartUpload.
 */
import { MAX_PARTS, S3Error, parseCompleteMultipart, type XmlObject } from '@dfs/s3';
import { dfsName } from './address.js';
import { requireBucket } from './bucket-routes.js';
import type { S3Context, S3Options } from './context.js';
import { contentTypeOf } from './object-routes.js';
import { userMetaOf, validatedMeta } from './object-meta.js';
import { declaredSize, uploadPayload } from './payload.js';
import { sendEmpty, sendXml, toS3Error } from './respond.js';
import { readSmallBody } from './small-body.js';
import { MAX_PART_BYTES } from './multipart-store.js';

const OWNER = { ID: 'dfs', DisplayName: 'dfs' };

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function partNumberOf(text: string | null): number {
  if (text === null || !/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > MAX_PARTS) {
    throw new S3Error(
      'InvalidArgument',
      `part number must be an integer between 1 and ${MAX_PARTS}, inclusive`,
    );
  }
  return Number(text);
}

export function createMultipartRoutes(options: S3Options) {
  const { files, uploads } = options;

  async function create({ req, res, signal, ...ctx }: S3Context): Promise<void> {
    const bucket = ctx.bucket as string;
    const key = ctx.key as string;
    await requireBucket(files, bucket, signal);
    const meta = validatedMeta({
      contentType: contentTypeOf(single(req.headers['content-type']), key),
      userMeta: userMetaOf(req.headers),
    });
    const uploadId = await uploads.create(bucket, key, meta);
    sendXml(res, 200, 'InitiateMultipartUploadResult', {
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
    });
  }

  async function uploadPart({ req, res, query, verified, ...ctx }: S3Context): Promise<void> {
    const partNumber = partNumberOf(query.get('partNumber'));
    const uploadId = query.get('uploadId') ?? '';
    if (single(req.headers['x-amz-copy-source']) !== undefined) {
      throw new S3Error('NotImplemented', 'UploadPartCopy is not supported');
    }
    await uploads.get(uploadId, ctx.bucket as string, ctx.key as string);
    const size = declaredSize(req);
    if (size !== undefined && size > Math.min(MAX_PART_BYTES, options.maxFileSize)) {
      throw new S3Error('EntityTooLarge', 'your proposed part exceeds the maximum allowed size');
    }
    const payload = uploadPayload(req, verified);
    let md5: string;
    try {
      md5 = await uploads.putPart(uploadId, partNumber, payload.stream);
    } catch (error) {
      req.resume();
      throw toS3Error(error);
    }
    sendEmpty(res, 200, { etag: `"${md5}"` });
  }

  async function listParts({ res, query, ...ctx }: S3Context): Promise<void> {
    const bucket = ctx.bucket as string;
    const key = ctx.key as string;
    const uploadId = query.get('uploadId') ?? '';
    await uploads.get(uploadId, bucket, key);
    const markerText = query.get('part-number-marker');
    const marker = markerText === null || markerText === '' ? 0 : partNumberOf(markerText);
    const maxText = query.get('max-parts');
    const maxParts =
      maxText === null ? 1000 : Math.min(1000, Number(/^\d{1,6}$/.test(maxText) ? maxText : NaN));
    if (Number.isNaN(maxParts))
      throw new S3Error('InvalidArgument', 'max-parts must be a whole number');
    const all = (await uploads.parts(uploadId)).filter((p) => p.partNumber > marker);
    const page = all.slice(0, maxParts);
    const truncated = all.length > page.length;
    sendXml(res, 200, 'ListPartsResult', {
      Bucket: bucket,
      Key: key,
      UploadId: uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      PartNumberMarker: marker,
      ...(truncated ? { NextPartNumberMarker: page.at(-1)?.partNumber } : {}),
      MaxParts: maxParts,
      IsTruncated: truncated,
      Part: page.map((p) => ({
        PartNumber: p.partNumber,
        LastModified: new Date(p.modified).toISOString(),
        ETag: `"${p.md5}"`,
        Size: p.size,
      })),
    });
  }

  async function listUploads({ res, query, signal, ...ctx }: S3Context): Promise<void> {
    const bucket = ctx.bucket as string;
    await requireBucket(files, bucket, signal);
    const prefix = query.get('prefix') ?? '';
    const maxText = query.get('max-uploads');
    const max =
      maxText === null ? 1000 : Math.min(1000, /^\d{1,6}$/.test(maxText) ? Number(maxText) : 1000);
    const keyMarker = query.get('key-marker') ?? '';
    const uploadIdMarker = query.get('upload-id-marker') ?? '';
    const listed = (await uploads.list(bucket)).filter((u) => u.record.key.startsWith(prefix));
    // After the marker: keys past key-marker, or with upload-id-marker the uploads of that key
    // after that upload (in the listing's order: key, then start time).
    const at = listed.findIndex((u) => u.record.key === keyMarker && u.uploadId === uploadIdMarker);
    const all =
      keyMarker === ''
        ? listed
        : uploadIdMarker !== '' && at >= 0
          ? listed.slice(at + 1)
          : listed.filter((u) => u.record.key > keyMarker);
    const page = all.slice(0, max);
    const truncated = all.length > page.length;
    const last = page.at(-1);
    const uploadsXml: XmlObject[] = page.map(({ uploadId, record }) => ({
      Key: record.key,
      UploadId: uploadId,
      Initiator: OWNER,
      Owner: OWNER,
      StorageClass: 'STANDARD',
      Initiated: new Date(record.created).toISOString(),
    }));
    sendXml(res, 200, 'ListMultipartUploadsResult', {
      Bucket: bucket,
      KeyMarker: keyMarker,
      UploadIdMarker: uploadIdMarker,
      ...(truncated && last !== undefined
        ? { NextKeyMarker: last.record.key, NextUploadIdMarker: last.uploadId }
        : {}),
      Prefix: prefix,
      MaxUploads: max,
      IsTruncated: truncated,
      Upload: uploadsXml,
    });
  }

  async function complete({ req, res, query, signal, verified, ...ctx }: S3Context): Promise<void> {
    const bucket = ctx.bucket as string;
    const key = ctx.key as string;
    const uploadId = query.get('uploadId') ?? '';
    const record = await uploads.get(uploadId, bucket, key);
    const wanted = parseCompleteMultipart(await readSmallBody(req, verified));
    const plan = await uploads.plan(uploadId, wanted);
    await requireBucket(files, bucket, signal);
    const info = await files.put(dfsName(bucket, key), uploads.concatenate(plan.parts), {
      signal,
      maxBytes: options.maxFileSize,
      meta: { ...record.meta, md5: plan.md5 },
    });
    await uploads.remove(uploadId);
    sendXml(res, 200, 'CompleteMultipartUploadResult', {
      Location: `/${bucket}/${key}`,
      Bucket: bucket,
      Key: key,
      ETag: `"${info.meta?.md5 ?? plan.md5}"`,
    });
  }

  async function abort({ res, query, ...ctx }: S3Context): Promise<void> {
    const uploadId = query.get('uploadId') ?? '';
    await uploads.get(uploadId, ctx.bucket as string, ctx.key as string);
    await uploads.remove(uploadId);
    sendEmpty(res, 204);
  }

  return { create, uploadPart, listParts, listUploads, complete, abort };
}

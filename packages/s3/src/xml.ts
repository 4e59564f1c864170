/**
 * S3's XML, both ways, through fast-xml-parser: rendering answers (with S3's namespace on the root)
 * and parsing the few request bodies S3 has (DeleteObjects, CompleteMultipartUpload,
 * CreateBucketConfiguration). Request bodies are bounded by the caller (`MAX_XML_BODY_BYTES`) and
 * their contents here: at most 1,000 keys to delete, 10,000 parts to complete.
 */
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import { S3Error } from './errors.js';
import type { S3ErrorCode } from './errors.js';

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** The largest XML request body read (1,000 keys of 1,024 bytes, escaped, fit). */
export const MAX_XML_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_DELETE_KEYS = 1000;
export const MAX_PARTS = 10_000;

const builder = new XMLBuilder({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  suppressEmptyNode: false,
  processEntities: true,
});

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: false,
  processEntities: true,
  isArray: (name) => name === 'Object' || name === 'Part',
});

/** A value of an XML document: nested objects, arrays of them, and text. */
export type XmlValue = string | number | boolean | XmlObject | XmlValue[] | undefined;
export interface XmlObject {
  [name: string]: XmlValue;
}

/** `<?xml …?><root xmlns="…">…</root>`. Arrays become repeated elements; undefined is left out. */
export function renderXml(root: string, body: XmlObject): string {
  const xml = builder.build({ [root]: { '@_xmlns': S3_XMLNS, ...body } }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}

/** S3's error document. */
export function renderError(
  code: S3ErrorCode,
  message: string,
  requestId: string,
  resource?: string,
): string {
  const xml = builder.build({
    Error: { Code: code, Message: message, Resource: resource, RequestId: requestId },
  }) as string;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}`;
}

function parse(text: string): Record<string, unknown> {
  try {
    const doc = parser.parse(text, true) as unknown;
    if (typeof doc !== 'object' || doc === null) throw new Error('not a document');
    return doc as Record<string, unknown>;
  } catch {
    throw new S3Error('MalformedXML', 'the XML you provided was not well-formed');
  }
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

export interface DeleteRequest {
  quiet: boolean;
  keys: string[];
}

/** `<Delete><Quiet>…</Quiet><Object><Key>…</Key></Object>…</Delete>` */
export function parseDeleteObjects(text: string): DeleteRequest {
  const root = parse(text).Delete as Record<string, unknown> | undefined;
  if (root === undefined || typeof root !== 'object') {
    throw new S3Error('MalformedXML', 'the body is not a <Delete> document');
  }
  const objects = (root.Object ?? []) as unknown[];
  if (objects.length === 0 || objects.length > MAX_DELETE_KEYS) {
    throw new S3Error('MalformedXML', `a <Delete> lists 1 to ${MAX_DELETE_KEYS} objects`);
  }
  const keys = objects.map((o) => textOf((o as Record<string, unknown> | undefined)?.Key));
  if (keys.some((k) => k === undefined || k === '')) {
    throw new S3Error('MalformedXML', 'every <Object> needs a <Key>');
  }
  return { quiet: textOf(root.Quiet)?.trim() === 'true', keys: keys as string[] };
}

export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** `<CompleteMultipartUpload><Part><PartNumber>…</PartNumber><ETag>…</ETag></Part>…</…>` */
export function parseCompleteMultipart(text: string): CompletedPart[] {
  const root = parse(text).CompleteMultipartUpload as Record<string, unknown> | undefined;
  if (root === undefined || typeof root !== 'object') {
    throw new S3Error('MalformedXML', 'the body is not a <CompleteMultipartUpload> document');
  }
  const parts = (root.Part ?? []) as unknown[];
  if (parts.length === 0 || parts.length > MAX_PARTS) {
    throw new S3Error('MalformedXML', `a multipart upload completes with 1 to ${MAX_PARTS} parts`);
  }
  return parts.map((p) => {
    const fields = (p ?? {}) as Record<string, unknown>;
    const numberText = textOf(fields.PartNumber)?.trim() ?? '';
    const etag = textOf(fields.ETag)?.trim().replace(/^"|"$/g, '') ?? '';
    if (!/^\d{1,5}$/.test(numberText) || etag === '') {
      throw new S3Error('MalformedXML', 'every <Part> needs a <PartNumber> and an <ETag>');
    }
    return { partNumber: Number(numberText), etag };
  });
}

/** The `<LocationConstraint>` of a CreateBucket body, or undefined for an empty body. */
export function parseCreateBucket(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const root = parse(text).CreateBucketConfiguration as Record<string, unknown> | undefined;
  if (root === undefined || typeof root !== 'object') {
    throw new S3Error('MalformedXML', 'the body is not a <CreateBucketConfiguration> document');
  }
  return textOf(root.LocationConstraint)?.trim();
}

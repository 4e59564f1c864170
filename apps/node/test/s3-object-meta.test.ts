import { describe, expect, it } from 'vitest';
import type { FileInfo } from '@dfs/replication';
import { isS3Error } from '@dfs/s3';
import { parseAddress } from '../src/s3/address.js';
import {
  checkReadConditions,
  checkWriteConditions,
  objectHeaders,
  s3Etag,
  userMetaOf,
  validatedMeta,
} from '../src/s3/object-meta.js';

const info: FileInfo = {
  name: 'b/k',
  size: 3,
  sha256: 'a'.repeat(64),
  version: 'v1',
  modified: Date.parse('2026-01-02T03:04:05.678Z'),
  holders: 1,
  holderIds: ['n1'],
  meta: { contentType: 'text/plain', userMeta: { owner: 'ann' }, md5: 'b'.repeat(32) },
};
const etag = `"${'b'.repeat(32)}"`;

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isS3Error(error) ? error.code : String(error);
  }
  return undefined;
}

describe('S3 object metadata', () => {
  it('the ETag is the MD5, or the sha256 for a file written without one', () => {
    expect(s3Etag(info)).toBe(etag);
    const { meta: _meta, ...plain } = info;
    expect(s3Etag(plain)).toBe(`"${'a'.repeat(64)}"`);
  });

  it('headers carry type, ETag, date and user metadata', () => {
    expect(objectHeaders(info)).toMatchObject({
      'content-type': 'text/plain',
      etag,
      'last-modified': 'Fri, 02 Jan 2026 03:04:05 GMT',
      'x-amz-meta-owner': 'ann',
    });
  });

  it('user metadata comes from x-amz-meta-* headers and is bounded at 2 KiB', () => {
    expect(userMetaOf({ 'x-amz-meta-a': '1', 'content-type': 'x', 'x-amz-meta-b': '2' })).toEqual({
      a: '1',
      b: '2',
    });
    expect(code(() => validatedMeta({ userMeta: { k: 'v'.repeat(2048) } }))).toBe(
      'MetadataTooLarge',
    );
    expect(code(() => validatedMeta({ userMeta: { k: 'é' } }))).toBe('InvalidArgument');
  });
});

describe('conditional requests', () => {
  const second = 'Fri, 02 Jan 2026 03:04:05 GMT';
  const earlier = 'Fri, 02 Jan 2026 03:04:04 GMT';
  it('If-Match and If-None-Match compare ETags; If-Match wins over If-Unmodified-Since', () => {
    expect(code(() => checkReadConditions({ 'if-match': etag }, info))).toBeUndefined();
    expect(code(() => checkReadConditions({ 'if-match': '"x", *' }, info))).toBeUndefined();
    expect(code(() => checkReadConditions({ 'if-match': '"x"' }, info))).toBe('PreconditionFailed');
    expect(code(() => checkReadConditions({ 'if-none-match': `W/${etag}` }, info))).toBe(
      'NotModified',
    );
    expect(
      code(() => checkReadConditions({ 'if-match': etag, 'if-unmodified-since': earlier }, info)),
    ).toBeUndefined();
  });

  it('dates compare at whole seconds; If-None-Match wins over If-Modified-Since', () => {
    expect(code(() => checkReadConditions({ 'if-modified-since': second }, info))).toBe(
      'NotModified',
    );
    expect(code(() => checkReadConditions({ 'if-modified-since': earlier }, info))).toBeUndefined();
    expect(
      code(() => checkReadConditions({ 'if-unmodified-since': second }, info)),
    ).toBeUndefined();
    expect(code(() => checkReadConditions({ 'if-unmodified-since': earlier }, info))).toBe(
      'PreconditionFailed',
    );
    expect(
      code(() =>
        checkReadConditions({ 'if-none-match': '"x"', 'if-modified-since': second }, info),
      ),
    ).toBeUndefined();
    expect(
      code(() => checkReadConditions({ 'if-modified-since': 'not a date' }, info)),
    ).toBeUndefined();
  });

  it('a write with If-None-Match: * only creates; with If-Match only replaces that ETag', () => {
    expect(code(() => checkWriteConditions({ 'if-none-match': '*' }, undefined))).toBeUndefined();
    expect(code(() => checkWriteConditions({ 'if-none-match': '*' }, info))).toBe(
      'PreconditionFailed',
    );
    expect(code(() => checkWriteConditions({ 'if-match': etag }, info))).toBeUndefined();
    expect(code(() => checkWriteConditions({ 'if-match': etag }, undefined))).toBe('NoSuchKey');
  });
});

describe('S3 addressing', () => {
  it('path style and virtual-host style map to the same bucket and key', () => {
    expect(parseAddress('/photos/a/b%20c.jpg', 'h:9000', undefined)).toEqual({
      bucket: 'photos',
      key: 'a/b c.jpg',
    });
    expect(parseAddress('/a/b%20c.jpg', 'photos.s3.test:9000', 's3.test')).toEqual({
      bucket: 'photos',
      key: 'a/b c.jpg',
    });
    expect(parseAddress('/photos', 'h', undefined)).toEqual({ bucket: 'photos' });
    expect(parseAddress('/photos/', 'h', undefined)).toEqual({ bucket: 'photos' });
    expect(parseAddress('/', 'h', undefined)).toEqual({});
  });

  it('refuses bad bucket names and keys that are not dfs names', () => {
    expect(code(() => parseAddress('/Photos/k', 'h', undefined))).toBe('InvalidBucketName');
    expect(code(() => parseAddress('/ab/k', 'h', undefined))).toBe('InvalidBucketName');
    expect(code(() => parseAddress('/192.168.1.1/k', 'h', undefined))).toBe('InvalidBucketName');
    expect(code(() => parseAddress('/b12/a/../k', 'h', undefined))).toBe('InvalidArgument');
    expect(code(() => parseAddress(`/b12/${'k'.repeat(1021)}`, 'h', undefined))).toBe(
      'KeyTooLongError',
    );
    expect(code(() => parseAddress('/b12/%ZZ', 'h', undefined))).toBe('InvalidURI');
  });
});

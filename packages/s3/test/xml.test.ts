import { describe, expect, it } from 'vitest';
import {
  MAX_DELETE_KEYS,
  isS3Error,
  parseCompleteMultipart,
  parseCreateBucket,
  parseDeleteObjects,
  renderError,
  renderXml,
} from '../src/index.js';

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isS3Error(error) ? error.code : 'other';
  }
  return undefined;
}

describe('S3 XML', () => {
  it('renders with the S3 namespace, repeated elements and escaped text', () => {
    const xml = renderXml('ListBucketResult', {
      Name: 'b',
      Contents: [{ Key: 'a<&>"b' }, { Key: 'c' }],
      IsTruncated: false,
    });
    expect(xml).toContain('<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">');
    expect(xml).toContain(
      '<Contents><Key>a&lt;&amp;&gt;&quot;b</Key></Contents><Contents><Key>c</Key></Contents>',
    );
    expect(xml).toContain('<IsTruncated>false</IsTruncated>');
  });

  it('renders errors with code, message and request id', () => {
    const xml = renderError('NoSuchKey', 'The specified key does not exist.', 'req-1', '/b/k');
    expect(xml).toContain(
      '<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Resource>/b/k</Resource><RequestId>req-1</RequestId></Error>',
    );
  });

  it('parses DeleteObjects, keys verbatim, quiet or not', () => {
    const body =
      '<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key> a&amp;b </Key></Object><Object><Key>c</Key><VersionId>x</VersionId></Object><Quiet>true</Quiet></Delete>';
    expect(parseDeleteObjects(body)).toEqual({ quiet: true, keys: [' a&b ', 'c'] });
    const one = '<Delete><Object><Key>k</Key></Object></Delete>';
    expect(parseDeleteObjects(one)).toEqual({ quiet: false, keys: ['k'] });
  });

  it('bounds DeleteObjects at 1,000 keys and refuses malformed documents', () => {
    const many = `<Delete>${'<Object><Key>k</Key></Object>'.repeat(MAX_DELETE_KEYS + 1)}</Delete>`;
    expect(code(() => parseDeleteObjects(many))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Delete><Object>'))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Delete></Delete>'))).toBe('MalformedXML');
    expect(code(() => parseDeleteObjects('<Other/>'))).toBe('MalformedXML');
  });

  it('parses CompleteMultipartUpload parts with quoted ETags', () => {
    const body =
      '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"abc"</ETag></Part><Part><ETag>def</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>';
    expect(parseCompleteMultipart(body)).toEqual([
      { partNumber: 1, etag: 'abc' },
      { partNumber: 2, etag: 'def' },
    ]);
    expect(
      code(() =>
        parseCompleteMultipart(
          '<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>',
        ),
      ),
    ).toBe('MalformedXML');
  });

  it('parses a CreateBucket location, or none for an empty body', () => {
    expect(parseCreateBucket('')).toBeUndefined();
    expect(
      parseCreateBucket(
        '<CreateBucketConfiguration><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>',
      ),
    ).toBe('eu-west-1');
  });
});

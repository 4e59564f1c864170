/**
 * Where an S3 request points: bucket and key from path-style (`/bucket/key`) or, when the node has
 * `--s3-domain`, virtual-host-style (`bucket.domain/key`) addressing. Bucket `b` and key `k` are the
 * dfs name `b/k`; a bucket itself is the marker name `b/` (docs/s3.md). Pure.
 */
import { nameProblem } from '@dfs/api';
import { S3Error, uriDecode } from '@dfs/s3';

export interface S3Address {
  /** Undefined for the service (ListBuckets). */
  bucket?: string;
  /** Undefined for a bucket request. */
  key?: string;
}

/** S3's bucket naming rules (3–63 of a-z 0-9 . -, letter or digit at both ends, not an IP). */
export function bucketProblem(bucket: string): string | undefined {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    return 'bucket names are 3-63 characters of a-z, 0-9, "." and "-", starting and ending with a letter or digit';
  }
  if (bucket.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(bucket)) {
    return 'bucket names have no ".." and are not IP addresses';
  }
  return undefined;
}

export function parseAddress(
  rawPath: string,
  host: string | undefined,
  domain: string | undefined,
): S3Address {
  const path = uriDecode(rawPath);
  if (path === undefined || !path.startsWith('/')) {
    throw new S3Error('InvalidURI', 'the path is not valid percent-encoded UTF-8');
  }
  const hostname = (host ?? '').replace(/:\d+$/, '').toLowerCase();
  if (domain !== undefined && hostname.endsWith(`.${domain}`)) {
    const bucket = hostname.slice(0, -domain.length - 1);
    return withKey(bucket, path.slice(1));
  }
  const rest = path.slice(1);
  if (rest === '') return {};
  const slash = rest.indexOf('/');
  if (slash < 0) return withKey(rest, '');
  return withKey(rest.slice(0, slash), rest.slice(slash + 1));
}

function withKey(bucket: string, key: string): S3Address {
  const problem = bucketProblem(bucket);
  if (problem !== undefined) throw new S3Error('InvalidBucketName', problem);
  if (key === '') return { bucket };
  if (nameProblem(dfsName(bucket, key)) !== undefined) {
    const tooLong = Buffer.byteLength(key) > 1024 - bucket.length - 1;
    throw new S3Error(
      tooLong ? 'KeyTooLongError' : 'InvalidArgument',
      tooLong
        ? 'your key is too long'
        : 'keys are UTF-8 without control characters and without "." or ".." segments',
    );
  }
  return { bucket, key };
}

/** The dfs name of an object. */
export function dfsName(bucket: string, key: string): string {
  return `${bucket}/${key}`;
}

/** The dfs name that marks a bucket as existing. */
export function bucketMarker(bucket: string): string {
  return `${bucket}/`;
}

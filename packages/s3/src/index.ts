/**
 * @dfs/s3: what an S3-compatible endpoint needs that is not about storing files — verifying AWS
 * Signature V4 (header and presigned forms, aws-chunked streaming bodies with their chunk
 * signatures, trailers and checksums), S3's XML, ListObjects pagination and S3's error codes. The
 * node composes these with its file service (apps/node `s3/`); docs/s3.md is the contract.
 */
export { S3_ERRORS, S3Error, isS3Error, type S3ErrorCode } from './errors.js';
export { awsUriEncode, uriDecode } from './uri-encode.js';
export {
  ALGORITHM,
  EMPTY_SHA256,
  MAX_CLOCK_SKEW_MS,
  MAX_PRESIGNED_EXPIRES_S,
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  UNSIGNED_PAYLOAD,
  canonicalPath,
  canonicalQuery,
  canonicalRequest,
  hmacHex,
  isPresigned,
  parseAmzDate,
  sha256Hex,
  signingKey,
  stringToSign,
  verifyHeaderSignature,
  verifyPresignedSignature,
  verifyRequestSignature,
  type PayloadRule,
  type SignedRequest,
  type SigningContext,
  type VerifiedRequest,
  type VerifyOptions,
} from './sigv4.js';
export {
  CHECKSUM_ALGORITHMS,
  ChecksumHasher,
  checksumAlgorithmOf,
  checksumHeader,
  type ChecksumAlgorithm,
} from './checksums.js';
export {
  AwsChunkedDecoder,
  MAX_CHUNK_LINE,
  MAX_CHUNK_SIZE,
  MAX_TRAILER_BYTES,
  MAX_TRAILER_LINES,
  type ChunkedDecoderOptions,
} from './chunked.js';
export {
  MAX_DELETE_KEYS,
  MAX_PARTS,
  MAX_XML_BODY_BYTES,
  S3_XMLNS,
  parseCompleteMultipart,
  parseCreateBucket,
  parseDeleteObjects,
  renderError,
  renderXml,
  type CompletedPart,
  type DeleteRequest,
  type XmlObject,
  type XmlValue,
} from './xml.js';
export {
  MAX_LIST_ARGUMENT_BYTES,
  MAX_LIST_KEYS,
  commonPrefixOf,
  compareKeys,
  decodeContinuationToken,
  encodeContinuationToken,
  laterMarker,
  listPage,
  parseMaxKeys,
  pastCommonPrefix,
  type ListRequest,
  type ListSource,
  type ListedPage,
} from './list-objects.js';

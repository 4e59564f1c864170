import { Packr } from 'msgpackr';
import { TransportError } from './errors.js';

/**
 * The value codec for messages, request/response bodies and stream headers. Both transports use it,
 * so a value that reaches a handler over `MemoryTransport` arrives exactly as it would over TCP.
 *
 * `useRecords: false` keeps every encoded value self-contained (msgpackr's record extension shares
 * structure definitions across messages, which would make decoding depend on connection history).
 */
const packr = new Packr({ useRecords: false, moreTypes: false, bundleStrings: false });

export function encodeValue(value: unknown): Buffer {
  try {
    return packr.pack(value);
  } catch (error) {
    throw new TransportError('ERR_MALFORMED_FRAME', 'message is not encodable', { cause: error });
  }
}

export function decodeValue(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (error) {
    throw new TransportError('ERR_MALFORMED_FRAME', 'message is not decodable', { cause: error });
  }
}

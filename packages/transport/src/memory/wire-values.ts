/**
 * How a message's value travels between memory transports: as encoded bytes (the receiver decodes
 * a fresh copy, as over TCP), or with `shareValues` as the sent value itself.
 */
import { decodeValue } from '../codec.js';

/** Stands for a message not encoded (`measureBytes: false`): never decoded, counted as 0 bytes. */
export const UNMEASURED = Buffer.alloc(0);

/** A value delivered as it was sent (`shareValues`); wrapped so it is never mistaken for bytes. */
export class SharedValue {
  constructor(readonly value: unknown) {}
}

export function received(bytes: Buffer | SharedValue): unknown {
  return bytes instanceof SharedValue ? bytes.value : decodeValue(bytes);
}

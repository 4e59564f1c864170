/**
 * The open stream ends of a memory transport, by remote address, so that a dropped connection or a
 * partition tears down exactly the streams that crossed it.
 */
import { TransportError } from '../errors.js';
import type { MemoryStream } from './stream.js';

export class PeerStreams {
  readonly #byAddress = new Map<string, Set<MemoryStream>>();

  /** The addresses with streams tracked for them. */
  addresses(): IterableIterator<string> {
    return this.#byAddress.keys();
  }

  add(remoteAddress: string, stream: MemoryStream): void {
    let set = this.#byAddress.get(remoteAddress);
    if (set === undefined) {
      set = new Set();
      this.#byAddress.set(remoteAddress, set);
    }
    set.add(stream);
  }

  /** The stream closed; it needs no tearing down any more. */
  remove(remoteAddress: string, stream: MemoryStream): void {
    this.#byAddress.get(remoteAddress)?.delete(stream);
  }

  /** The connection to `address` is gone: each of its streams is torn down with `failure()`. */
  abortAll(address: string, failure: () => TransportError): void {
    const streams = this.#byAddress.get(address);
    if (streams !== undefined) {
      for (const stream of streams) stream.abortLocally(failure());
      this.#byAddress.delete(address);
    }
  }

  /** Resets streams whose remote end is now unreachable (partition); both ends do this. */
  resetWhere(separated: (remoteAddress: string) => boolean): void {
    for (const [address, streams] of this.#byAddress) {
      if (!separated(address)) continue;
      const error = new TransportError('ERR_CONNECTION_CLOSED', `lost the link to ${address}`);
      for (const stream of streams) stream.abortLocally(error);
      this.#byAddress.delete(address);
    }
  }
}

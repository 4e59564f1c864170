/**
 * Holders that misbehave on the `fetch` protocol, for read-through and pull-deadline tests: a
 * cluster node keeps its engine (it announces, holds and lists the file) but its transport answers
 * fetch streams with one of these behaviours instead of the engine's `serveBody`.
 */
import type { Duplex } from 'node:stream';
import { PROTOCOLS } from '../src/index.js';
import type { TestNode } from './cluster.js';

export type HostileFetch =
  /** Right length, every byte different. */
  | { kind: 'wrong-bytes'; size: number }
  /** Opens the stream and never sends a byte (a paused process). */
  | { kind: 'silent' }
  /** Sends `bytes` bytes, then nothing (paused mid-transfer). */
  | { kind: 'stall-after'; bytes: number }
  /** Resets the stream before any data. */
  | { kind: 'reset' }
  /** Ends the stream cleanly without a byte. */
  | { kind: 'empty' };

/** Replaces `node`'s fetch handler; returns how many fetch streams it was asked for. */
export function hijackFetch(node: TestNode, behaviour: HostileFetch): { opened: () => number } {
  let opened = 0;
  const open: Duplex[] = [];
  node.transport.unhandle(PROTOCOLS.fetch);
  node.transport.handleStream(PROTOCOLS.fetch, (stream) => {
    opened++;
    open.push(stream);
    stream.on('error', () => undefined);
    stream.resume();
    switch (behaviour.kind) {
      case 'wrong-bytes':
        stream.end(Buffer.alloc(behaviour.size, 0xee));
        return;
      case 'silent':
        return;
      case 'stall-after':
        stream.write(Buffer.alloc(behaviour.bytes, 0x61));
        return;
      case 'reset':
        stream.destroy(new Error('hostile reset'));
        return;
      case 'empty':
        stream.end();
        return;
    }
  });
  return { opened: () => opened };
}

/**
 * `Range: bytes=…` for one range (RFC 9110 §14). A single satisfiable range is served as 206; a
 * header we cannot honour — malformed, multiple ranges, or past the end — is answered 416 with a
 * message saying why, rather than silently sending the whole body: a client that asked for a range
 * almost always mis-computed something, and a 4 GiB reply is a poor way to tell it.
 */
import type { ByteRange } from '@dfs/replication';

export type RangeDecision =
  | { kind: 'whole' }
  | { kind: 'partial'; range: ByteRange }
  | { kind: 'unsatisfiable'; reason: string };

const SINGLE = /^bytes=(\d*)-(\d*)$/;

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'whole' };
  const text = header.trim();
  if (text.includes(','))
    return { kind: 'unsatisfiable', reason: 'multiple ranges are not supported' };
  const match = SINGLE.exec(text);
  if (!match) return { kind: 'unsatisfiable', reason: `malformed Range header "${header}"` };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') {
    return { kind: 'unsatisfiable', reason: `malformed Range header "${header}"` };
  }
  if (first === '') {
    // Suffix range: the last N bytes.
    const length = Number(last);
    if (length === 0 || size === 0) {
      return {
        kind: 'unsatisfiable',
        reason: `range ${text} selects no bytes of a ${size}-byte file`,
      };
    }
    return { kind: 'partial', range: { start: Math.max(0, size - length), end: size - 1 } };
  }
  const start = Number(first);
  if (!Number.isSafeInteger(start) || start >= size) {
    return { kind: 'unsatisfiable', reason: `range ${text} starts beyond the ${size}-byte file` };
  }
  if (last === '') return { kind: 'partial', range: { start, end: size - 1 } };
  const end = Number(last);
  if (!Number.isSafeInteger(end) || end < start) {
    return { kind: 'unsatisfiable', reason: `range ${text} ends before it starts` };
  }
  return { kind: 'partial', range: { start, end: Math.min(end, size - 1) } };
}

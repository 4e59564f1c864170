/** Holder slots for hand-written test entries. */
import { normaliseSlots } from '../src/merge.js';
import type { HolderSlot } from '../src/merge.js';

/** Slots saying each of `ids` holds (at seq 1, as their own first write would), sorted by node. */
export function holding(...ids: string[]): HolderSlot[] {
  return normaliseSlots(ids.map((node) => ({ node, seq: 1, holds: true })));
}

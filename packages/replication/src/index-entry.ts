import type { ReplicatedEntry } from './merge.js';

/**
 * One name's newest entry as this node's index holds it. Apart from file-index.ts so the index and
 * its in-memory state (index-state.ts) both import it without importing each other.
 */
export interface IndexEntry extends ReplicatedEntry {
  /** True when this node's store holds this version's bytes (verified when written). */
  readonly local: boolean;
}

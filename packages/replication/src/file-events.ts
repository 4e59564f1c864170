/**
 * What changed for a name when the index took a new entry, as one small event a watcher (the
 * node's live event stream, a dashboard) can show: a new version learned (`put`), a delete
 * (`delete`), this node now holding the body of the version it already knew (`stored`: a pull,
 * push or repair finished) or no longer holding it (`dropped`). Holder changes on other nodes are
 * not events here: they are frequent and say nothing a watcher acts on.
 *
 * `fileEventOf` is a pure rule of (previous, next); the `EffectRunner` calls it after each durable
 * index write, so an event is never reported for a change that did not become durable.
 */
import type { IndexEntry } from './index-entry.js';

export const FILE_EVENT_KINDS = ['put', 'delete', 'stored', 'dropped'] as const;
export type FileEventKind = (typeof FILE_EVENT_KINDS)[number];

export interface FileEvent {
  kind: FileEventKind;
  name: string;
  version: string;
  /** The version's size in bytes (0 for a delete). */
  size: number;
  /** Whether this node holds the version's body after the change. */
  local: boolean;
}

export type FileEventListener = (event: FileEvent) => void;

/** The event a durable change from `previous` to `next` means, or undefined for none. */
export function fileEventOf(
  previous: IndexEntry | undefined,
  next: IndexEntry,
): FileEvent | undefined {
  const base = { name: next.name, version: next.version, local: next.local };
  if (previous === undefined || previous.version !== next.version) {
    if (next.deleted) {
      // Learning a tombstone for a name we never had live is not a delete anyone saw here.
      return previous === undefined || previous.deleted
        ? undefined
        : { ...base, kind: 'delete', size: 0 };
    }
    return { ...base, kind: 'put', size: next.size };
  }
  if (next.deleted || previous.local === next.local) return undefined;
  return { ...base, kind: next.local ? 'stored' : 'dropped', size: next.size };
}

/** A set of listeners; one that throws is reported and does not stop the others. */
export class FileEventHub {
  readonly #listeners = new Set<FileEventListener>();
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void) {
    this.#onError = onError;
  }

  /** Calls `listener` with every event from now on; returns the function that stops it. */
  watch(listener: FileEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(previous: IndexEntry | undefined, next: IndexEntry): void {
    if (this.#listeners.size === 0) return;
    const event = fileEventOf(previous, next);
    if (event === undefined) return;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.#onError(error);
      }
    }
  }
}

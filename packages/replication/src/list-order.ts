/**
 * Live names in the byte order of their UTF-8 encoding (what `list` promises), kept sorted as names
 * come and go so a page costs O(log n + limit). Cursors are the last returned name, base64url-encoded
 * so they are opaque and URL-safe.
 */
import type { ListOptions } from './file-service.js';

interface Item {
  readonly name: string;
  readonly bytes: Buffer;
}

/**
 * The cursor of a listing page that ended at `name`; also a cursor that starts a listing after any
 * `name`, present or not (exported as `listCursorAfter`: S3's start-after and markers need it).
 */
export function encodeCursor(name: string): string {
  return Buffer.from(name, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(cursor)) return undefined;
  return Buffer.from(cursor, 'base64url');
}

export class ListOrder {
  readonly #items: Item[] = [];

  get size(): number {
    return this.#items.length;
  }

  add(name: string): void {
    const bytes = Buffer.from(name, 'utf8');
    const at = this.#lowerBound(bytes);
    if (this.#items[at]?.name === name) return;
    this.#items.splice(at, 0, { name, bytes });
  }

  remove(name: string): void {
    const at = this.#lowerBound(Buffer.from(name, 'utf8'));
    if (this.#items[at]?.name === name) this.#items.splice(at, 1);
  }

  /** One page of names; `next` is set when more names match after it. */
  page(options: ListOptions): { names: string[]; next?: string } {
    const prefix = options.prefix ?? '';
    const prefixBytes = Buffer.from(prefix, 'utf8');
    let at = this.#lowerBound(prefixBytes);
    if (options.cursor !== undefined) {
      const after = decodeCursor(options.cursor);
      if (after !== undefined) {
        let from = this.#lowerBound(after);
        if (this.#items[from]?.bytes.equals(after)) from++;
        at = Math.max(at, from);
      }
    }
    const limit = Math.max(0, Math.floor(options.limit));
    const names: string[] = [];
    while (at < this.#items.length && names.length < limit) {
      const item = this.#items[at] as Item;
      if (!item.name.startsWith(prefix)) break;
      names.push(item.name);
      at++;
    }
    const more = this.#items[at]?.name.startsWith(prefix) === true && names.length > 0;
    return more ? { names, next: encodeCursor(names[names.length - 1] as string) } : { names };
  }

  /** First index whose bytes are >= `bytes`. */
  #lowerBound(bytes: Buffer): number {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare((this.#items[mid] as Item).bytes, bytes) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

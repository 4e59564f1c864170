/**
 * Serialises commits (rename, unlink, metadata rewrite) per entry path within one store, so that a
 * conditional delete or setMetadata cannot interleave with a put's rename and lose it. Streaming a
 * body happens outside the lock; only the short commit step holds it.
 */
export class PathLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(path: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(path) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => current);
    this.#tails.set(path, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      if (this.#tails.get(path) === tail) this.#tails.delete(path);
    }
  }
}

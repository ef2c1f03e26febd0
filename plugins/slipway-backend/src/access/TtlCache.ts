/**
 * A small cache of pending or settled answers, each kept for at most
 * `ttlMs` and at most `maxEntries` in all (the oldest entry goes first).
 * Promises are stored as they start, so concurrent asks share one lookup;
 * a lookup that fails is forgotten, so the next ask tries again.
 */
export class TtlCache<T> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { value: Promise<T>; until: number }>();

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = Math.max(1, options.maxEntries);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The live answer for `key`, or undefined when there is none. */
  get(key: string): Promise<T> | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` for `key`; forgets it again if it rejects. */
  set(key: string, value: Promise<T>): Promise<T> {
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: Date.now() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    return value;
  }

  /** The cached answer, or `load()`'s (then cached). */
  getOrLoad(key: string, load: () => Promise<T>): Promise<T> {
    return this.get(key) ?? this.set(key, load());
  }
}

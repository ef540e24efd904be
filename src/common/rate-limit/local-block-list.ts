/**
 * Buckets this instance knows to be empty, with the time they admit again. Answering from here costs no
 * round trip; it is never wrong, only late: a bucket emptied by another instance is learned here at the
 * next consumption, and an entry only ever says what the shared store said.
 */
export class LocalBlockList {
  private readonly until = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** Milliseconds until `key` admits again, or 0 when it is not known to be empty. */
  remainingMs(key: string, nowMs: number = Date.now()): number {
    const until = this.until.get(key);
    if (until === undefined) {
      return 0;
    }
    if (until <= nowMs) {
      this.until.delete(key);
      return 0;
    }
    return until - nowMs;
  }

  /** Remembers `key` as empty for `durationMs`. */
  block(key: string, durationMs: number, nowMs: number = Date.now()): void {
    if (durationMs <= 0) {
      return;
    }
    this.until.delete(key);
    if (this.until.size >= this.maxEntries) {
      this.evict(nowMs);
    }
    this.until.set(key, nowMs + durationMs);
  }

  get size(): number {
    return this.until.size;
  }

  // Expired entries first; if the list is still full, the oldest insertions (Map keeps insertion order).
  private evict(nowMs: number): void {
    for (const [key, until] of this.until) {
      if (until <= nowMs) {
        this.until.delete(key);
      }
    }
    for (const key of this.until.keys()) {
      if (this.until.size < this.maxEntries) {
        break;
      }
      this.until.delete(key);
    }
  }
}

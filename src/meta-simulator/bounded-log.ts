/**
 * An append-only log that keeps about its newest `max` entries. It trims in batches, so that appending
 * stays amortised O(1) however long the simulator runs.
 */
export class BoundedLog<T> {
  private readonly items: T[] = [];

  constructor(private readonly max: number) {}

  /** Every entry kept, oldest first. A live read-only view. */
  get entries(): readonly T[] {
    return this.items;
  }

  push(entry: T): void {
    this.items.push(entry);
    if (this.items.length > this.max + Math.ceil(this.max / 10)) {
      this.items.splice(0, this.items.length - this.max);
    }
  }

  clear(): void {
    this.items.length = 0;
  }
}

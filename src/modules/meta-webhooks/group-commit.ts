/** What a batch's write did for one of its items: its own value, or its own error. */
export type ItemOutcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/** Limits of a {@link GroupCommit}. */
export interface GroupCommitOptions {
  /** Write as soon as this many items wait. */
  maxItems: number;
  /** Write as soon as the waiting items weigh this much (an item heavier than this is written alone). */
  maxWeight: number;
  /**
   * Longest an item waits for others before the batch is written (when a write slot is free) while another
   * batch is being written. With no write in flight, a batch is written as soon as the callbacks of the
   * current I/O round have run (`setImmediate`): the items that arrived together go together, and none waits
   * for a timer while the database idles.
   */
  windowMs: number;
  /** Batches written at once; beyond, items keep gathering until a write ends. */
  maxInFlight: number;
}

interface Waiting<I, O> {
  item: I;
  weight: number;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: concurrent callers' items are gathered (those of one I/O round when the database idles,
 * else for a few milliseconds, or until `maxItems` or `maxWeight` wait) and written by one call of `write`, which reports an outcome per item, so that each
 * caller's promise settles with its own item's value or error and a failure of one item fails only its
 * caller. Items are handed to `write` in the order they were submitted. Holds nothing durable: a caller
 * is answered only once `write` has settled its item.
 */
export class GroupCommit<I, O> {
  private waiting: Array<Waiting<I, O>> = [];
  private waitingWeight = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly options: GroupCommitOptions,
    private readonly write: (items: I[]) => Promise<Array<ItemOutcome<O>>>,
    private readonly weigh: (item: I) => number = () => 1,
  ) {}

  /** Queues `item` for the next batch; settles with what the batch's write did for it. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const weight = this.weigh(item);
      this.waiting.push({ item, weight, resolve, reject });
      this.waitingWeight += weight;
      if (this.waiting.length >= this.options.maxItems || this.waitingWeight >= this.options.maxWeight) {
        this.flush();
      } else if (this.inFlight.size === 0) {
        this.immediate ??= setImmediate(() => {
          this.immediate = null;
          this.flush();
        });
      } else {
        this.timer ??= setTimeout(() => {
          this.timer = null;
          this.flush();
        }, this.options.windowMs);
      }
    });
  }

  /** Writes whatever waits now and resolves once every write started so far has ended. */
  async drain(): Promise<void> {
    while (this.waiting.length > 0 || this.inFlight.size > 0) {
      this.flush();
      await Promise.race(this.inFlight);
    }
  }

  /** Starts writes of the waiting items, batch by batch, while write slots are free. */
  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.immediate) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    while (this.waiting.length > 0 && this.inFlight.size < this.options.maxInFlight) {
      this.start(this.takeBatch());
    }
  }

  private takeBatch(): Array<Waiting<I, O>> {
    let count = 0;
    let weight = 0;
    // At least one item, however heavy; then as many as fit the limits.
    while (
      count < this.waiting.length &&
      (count === 0 || (count < this.options.maxItems && weight + this.waiting[count].weight <= this.options.maxWeight))
    ) {
      weight += this.waiting[count].weight;
      count += 1;
    }
    const batch = this.waiting.slice(0, count);
    this.waiting = this.waiting.slice(count);
    this.waitingWeight -= weight;
    return batch;
  }

  private start(batch: Array<Waiting<I, O>>): void {
    const run: Promise<void> = this.write(batch.map((waiting) => waiting.item))
      .then(
        (outcomes) => {
          batch.forEach((waiting, index) => {
            const outcome = outcomes[index];
            if (!outcome) {
              waiting.reject(new Error('The batch write reported no outcome for this item'));
            } else if (outcome.ok) {
              waiting.resolve(outcome.value);
            } else {
              waiting.reject(outcome.error);
            }
          });
        },
        (error: unknown) => {
          for (const waiting of batch) {
            waiting.reject(error);
          }
        },
      )
      .finally(() => {
        this.inFlight.delete(run);
        // Items that gathered while every slot was busy have waited long enough.
        if (this.waiting.length > 0) {
          this.flush();
        }
      });
    this.inFlight.add(run);
  }
}

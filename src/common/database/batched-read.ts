import type { EntityManager } from '@mikro-orm/postgresql';

import {
  type ConnectionPool,
  driverException,
  type NamedStatement,
  namedStatement,
  pooledQuery,
  preparedRead,
} from './bound-sql';

/** How {@link BatchedRead} runs one read's statement over many inputs. */
export interface BatchedReadSpec<I> {
  /**
   * The statement for a batch, with `?` placeholders (each once, no other `?`): arrays holding one element per read
   * (see {@link columns}), which the statement unnests `WITH ORDINALITY`. It answers at most one row per read, with
   * that read's 1-based position in the batch as column `i` (an `int`); a read without a row resolves to null.
   */
  sql: string;
  /** The statement's array parameters for these inputs, in the order of its `?`. */
  columns(inputs: readonly I[]): unknown[];
  /** Most reads one statement carries. */
  maxBatch: number;
  /** Statements of this read running at once per connection pool; reads arriving meanwhile wait and go together. */
  maxInFlight: number;
}

interface Waiter<I> {
  input: I;
  resolve(row: unknown): void;
  reject(error: unknown): void;
}

/** One pool's queue: a process may hold several pools (the tests run several apps in one process). */
interface PoolQueue<I> {
  waiting: Waiter<I>[];
  inFlight: number;
}

/**
 * A hot read (an API request's one statement) that concurrent callers share: while `maxInFlight` statements of it
 * are running, reads wait and then go to PostgreSQL together, as one named prepared statement over arrays of their
 * parameters. Under load each read then pays a share of one round trip, one pooled connection's lease and one
 * statement's start and commit instead of its own, on a machine whose cores the service and PostgreSQL share; a
 * read that finds nothing running goes at once, alone, so an idle service answers as fast as before.
 *
 * Each read keeps its own parameters, the organization included: batching changes how reads travel, not what each
 * one selects. Inside a transaction a read runs alone in it. A failed statement fails every read it carried, so an
 * input must be one the statement accepts (validated before it is read): one caller's bad value would fail others.
 */
export class BatchedRead<I, R> {
  private readonly queues = new WeakMap<ConnectionPool, PoolQueue<I>>();
  private readonly statement: NamedStatement;

  constructor(private readonly spec: BatchedReadSpec<I>) {
    this.statement = namedStatement(spec.sql);
  }

  /** This input's row (the statement's columns, `i` included), or null when the statement answered none for it. */
  read(em: EntityManager, input: I): Promise<R | null> {
    if (em.isInTransaction()) {
      return preparedRead<R>(em, this.spec.sql, this.spec.columns([input])).then(([row]) => row ?? null);
    }
    const pool = em.getConnection().getKnex().client as ConnectionPool;
    let queue = this.queues.get(pool);
    if (!queue) {
      queue = { waiting: [], inFlight: 0 };
      this.queues.set(pool, queue);
    }
    const waiting = queue.waiting;
    const pending = new Promise<R | null>((resolve, reject) => {
      waiting.push({ input, resolve, reject });
    });
    this.dispatch(em, pool, queue);
    return pending;
  }

  private dispatch(em: EntityManager, pool: ConnectionPool, queue: PoolQueue<I>): void {
    while (queue.inFlight < this.spec.maxInFlight && queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, this.spec.maxBatch);
      queue.inFlight += 1;
      void this.run(em, pool, batch).finally(() => {
        queue.inFlight -= 1;
        this.dispatch(em, pool, queue);
      });
    }
  }

  private async run(em: EntityManager, pool: ConnectionPool, batch: Waiter<I>[]): Promise<void> {
    try {
      const rows = await pooledQuery<{ i: number }>(
        pool,
        this.statement,
        this.spec.columns(batch.map((waiter) => waiter.input)),
      );
      const byPosition: Array<unknown> = new Array(batch.length).fill(null);
      for (const row of rows) {
        byPosition[row.i - 1] = row;
      }
      batch.forEach((waiter, index) => waiter.resolve(byPosition[index]));
    } catch (error) {
      const converted = driverException(em, error);
      for (const waiter of batch) {
        waiter.reject(converted);
      }
    }
  }
}

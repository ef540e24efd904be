import type { EntityManager } from '@mikro-orm/postgresql';

import type { BoundWrite } from 'src/common/database/bound-sql';

import type { DomainEvent } from 'src/common/events/domain-event';
import type { Transactions } from 'src/common/events/transactions';

import type { FakeMetaGateway, FakeMetaGatewayMethod } from './fake-meta-gateway';

/**
 * In-memory {@link Transactions} for unit tests: `run` runs the work at once, joining the transaction that
 * is open as the real one does, and publishes the queued events only after the outermost work succeeded.
 * It knows whether a transaction is open, so a spec can check that a service calls Meta outside one
 * ({@link watch}).
 */
export class FakeTransactions implements Pick<
  Transactions,
  'run' | 'inTransaction' | 'publishAfterCommit' | 'writeBeforeCommit'
> {
  /** The transactions begun (joined work does not count). */
  begun = 0;
  /** Events published after a commit, in order. */
  readonly published: DomainEvent[] = [];
  /** Gateway calls made while a transaction was open (see {@link watch}); a service must make none. */
  readonly graphCallsInTransaction: FakeMetaGatewayMethod[] = [];
  private queued: DomainEvent[] | null = null;

  /** `em` is what the work receives; a spec whose collaborators ignore it need not pass one. */
  constructor(private readonly em = {} as EntityManager) {}

  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.queued) {
      return work(this.em);
    }
    this.begun += 1;
    const queued: DomainEvent[] = [];
    this.queued = queued;
    try {
      const result = await work(this.em);
      this.published.push(...queued);
      return result;
    } finally {
      this.queued = null;
    }
  }

  inTransaction(): boolean {
    return this.queued !== null;
  }

  publishAfterCommit(...events: DomainEvent[]): void {
    (this.queued ?? this.published).push(...events);
  }

  /** Writes queued for a commit, in order (nothing runs them: the fakes hold no database). */
  readonly writes: BoundWrite[] = [];

  writeBeforeCommit(write: BoundWrite): Promise<void> {
    this.writes.push(write);
    return Promise.resolve();
  }

  /** Records in {@link graphCallsInTransaction} every call of `meta` made while a transaction is open. */
  watch(meta: FakeMetaGateway): this {
    meta.onCall((call) => {
      if (this.inTransaction()) {
        this.graphCallsInTransaction.push(call.method);
      }
    });
    return this;
  }
}

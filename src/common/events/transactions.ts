import { AsyncLocalStorage } from 'node:async_hooks';

import { TransactionPropagation } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { type BoundWrite, boundRows, runWrites } from 'src/common/database/bound-sql';

import type { DomainEvent } from './domain-event';
import { DomainEventBus } from './domain-event-bus';

/** The events a running use case has queued for after its commit, and its writes queued for before it. */
interface UseCaseScope {
  events: DomainEvent[];
  writes: BoundWrite[];
}

const scopes = new AsyncLocalStorage<UseCaseScope>();

/**
 * Transactions opened by use cases. A use case runs its work in {@link run}; the owners' methods it calls
 * use their injected EntityManager, which resolves to the transaction's fork (MikroORM's transaction
 * context), and call {@link run} themselves, which then joins the open transaction instead of nesting one.
 * Domain events queued with {@link publishAfterCommit} reach listeners only once the outermost transaction
 * has committed, so a listener never sees state that could still roll back, and nothing is published for
 * work that rolled back.
 */
@Injectable()
export class Transactions {
  constructor(
    private readonly em: EntityManager,
    private readonly bus: DomainEventBus,
  ) {}

  /**
   * Runs `work` in a transaction: the caller's, when a use case already opened one, else a new one on a fresh
   * fork, after whose commit the queued events are published.
   */
  async run<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    if (scopes.getStore()) {
      return this.em.transactional(work, { propagation: TransactionPropagation.REQUIRED });
    }
    const scope: UseCaseScope = { events: [], writes: [] };
    try {
      const result = await scopes.run(scope, () =>
        this.em.fork().transactional(
          async (em) => {
            const value = await work(em);
            // Before the unit of work's flush, as when each write ran in place: entity changes come after.
            await runWrites(em, scope.writes.splice(0));
            return value;
          },
          { propagation: TransactionPropagation.REQUIRED },
        ),
      );
      this.bus.publish(...scope.events);
      return result;
    } finally {
      // The scope outlives the use case: a promise created inside it keeps it (the connection pool's
      // free-slot promise, created when the transaction releases its connection, lives until the next
      // acquire). Emptied, it no longer keeps a round's worth of events and the rows they name.
      scope.events.length = 0;
      scope.writes.length = 0;
    }
  }

  /**
   * Queues a raw write for the end of the running use case's transaction, where every write queued is sent
   * with the others as one statement ({@link runWrites}) instead of one round trip each; outside a use case,
   * runs it now. For bulk writes of rows the transaction has locked already (so nothing else can change them
   * meanwhile) and that nothing in the transaction reads again before its commit.
   */
  async writeBeforeCommit(write: BoundWrite): Promise<void> {
    const scope = scopes.getStore();
    if (scope) {
      scope.writes.push(write);
    } else {
      await boundRows(this.em, write.sql, write.params);
    }
  }

  /** Whether the caller runs inside a use case's transaction. */
  inTransaction(): boolean {
    return scopes.getStore() !== undefined;
  }

  /** Queues events for after the running use case's commit; outside one, publishes them now. */
  publishAfterCommit(...events: DomainEvent[]): void {
    const scope = scopes.getStore();
    if (scope) {
      scope.events.push(...events);
    } else {
      this.bus.publish(...events);
    }
  }
}

import { AsyncLocalStorage } from 'node:async_hooks';

import { TransactionPropagation } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import type { DomainEvent } from './domain-event';
import { DomainEventBus } from './domain-event-bus';

/** The events a running use case has queued for after its commit. */
interface UseCaseScope {
  events: DomainEvent[];
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
    const scope: UseCaseScope = { events: [] };
    try {
      const result = await scopes.run(scope, () =>
        this.em.fork().transactional(work, { propagation: TransactionPropagation.REQUIRED }),
      );
      this.bus.publish(...scope.events);
      return result;
    } finally {
      // The scope outlives the use case: a promise created inside it keeps it (the connection pool's
      // free-slot promise, created when the transaction releases its connection, lives until the next
      // acquire). Emptied, it no longer keeps a round's worth of events and the rows they name.
      scope.events.length = 0;
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

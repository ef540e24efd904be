import type { EntityManager } from '@mikro-orm/postgresql';

import type { DomainEvent } from './domain-event';
import type { DomainEventBus } from './domain-event-bus';
import { Transactions } from './transactions';

/** What AsyncLocalStorage stores on a promise created inside `run` (Node keeps it under a symbol). */
function storesOf(promise: Promise<unknown>): unknown[] {
  const record = promise as unknown as Record<symbol, unknown>;
  return Object.getOwnPropertySymbols(promise)
    .filter((symbol) => symbol.description === 'kResourceStore')
    .map((symbol) => record[symbol]);
}

describe('Transactions', () => {
  const event = { name: 'test.event' } as unknown as DomainEvent;

  function transactions(published: DomainEvent[]): Transactions {
    const fork = {
      transactional: <T>(work: (em: EntityManager) => Promise<T>): Promise<T> => work(fork as unknown as EntityManager),
    };
    const em = { fork: () => fork } as unknown as EntityManager;
    const bus = { publish: (...events: DomainEvent[]) => published.push(...events) } as unknown as DomainEventBus;
    return new Transactions(em, bus);
  }

  it('should publish the queued events after the work, and leave none in a promise made inside', async () => {
    const published: DomainEvent[] = [];
    const subject = transactions(published);
    let kept: Promise<unknown> | undefined;

    await subject.run(() => {
      subject.publishAfterCommit(event, event);
      // As the connection pool does when the transaction releases its connection: a promise that lives on.
      kept = new Promise(() => undefined);
      return Promise.resolve();
    });

    expect(published).toEqual([event, event]);
    const scopes = storesOf(kept as Promise<unknown>).filter(
      (store): store is { events: DomainEvent[] } => typeof store === 'object' && store !== null && 'events' in store,
    );
    expect(scopes).toHaveLength(1);
    expect(scopes[0].events).toEqual([]);
  });

  it('should drop the queued events of work that failed', async () => {
    const published: DomainEvent[] = [];
    const subject = transactions(published);
    let kept: Promise<unknown> | undefined;

    await expect(
      subject.run(() => {
        subject.publishAfterCommit(event);
        kept = new Promise(() => undefined);
        return Promise.reject(new Error('rolled back'));
      }),
    ).rejects.toThrow('rolled back');

    expect(published).toEqual([]);
    const scopes = storesOf(kept as Promise<unknown>).filter(
      (store): store is { events: DomainEvent[] } => typeof store === 'object' && store !== null && 'events' in store,
    );
    expect(scopes).toHaveLength(1);
    expect(scopes[0].events).toEqual([]);
  });
});

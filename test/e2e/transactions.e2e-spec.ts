import { EntityManager } from '@mikro-orm/postgresql';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { Client } from 'pg';

import { DomainEvent } from 'src/common/events/domain-event';
import { Transactions } from 'src/common/events/transactions';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

class ProbeEvent extends DomainEvent {
  static readonly eventName = 'probe.happened';

  constructor(readonly label: string) {
    super();
  }
}

/**
 * Use cases open one transaction with `Transactions.run`; owners' methods they call join it. Checked
 * against the real database: what an inner `run` writes commits or rolls back with the outer one, and
 * events reach listeners only after the outermost commit.
 */
describe('Transactions (use-case transactions, real PostgreSQL)', () => {
  let sut: TestApp;
  let db: Client;
  let transactions: Transactions;
  let em: EntityManager;
  const seen: Array<{ label: string; committed: boolean }> = [];

  // `em.execute` runs in the transaction the context resolves to; `em.getConnection().execute` would not.
  const insertOrganization = (name: string) =>
    em.execute('INSERT INTO organizations (id, name) VALUES (gen_random_uuid(), ?)', [name]);
  const committed = async (name: string): Promise<boolean> =>
    (await db.query('SELECT 1 FROM organizations WHERE name = $1', [name])).rowCount === 1;

  beforeAll(async () => {
    sut = await createTestApp({ simulator: false });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    transactions = sut.app.get(Transactions);
    em = sut.app.get(EntityManager);
    sut.app.get(EventEmitter2).on(ProbeEvent.eventName, (event: ProbeEvent) => {
      // Read outside the transaction, through another connection, as a listener would.
      void committed(event.label).then((visible) => seen.push({ label: event.label, committed: visible }));
    });
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  it('should commit an inner run with the outer one and publish its events only after that commit', async () => {
    await transactions.run(async () => {
      await transactions.run(async () => {
        await insertOrganization('tx-joined');
        transactions.publishAfterCommit(new ProbeEvent('tx-joined'));
      });
      // Joined, not nested: the row is not visible outside before the outer commit.
      expect(await committed('tx-joined')).toBe(false);
    });
    expect(await committed('tx-joined')).toBe(true);
    await waitForSeen('tx-joined');
    expect(seen.find((entry) => entry.label === 'tx-joined')).toEqual({ label: 'tx-joined', committed: true });
  });

  it('should roll an inner run back with the outer one and publish nothing', async () => {
    await expect(
      transactions.run(async () => {
        await transactions.run(async () => {
          await insertOrganization('tx-rolled-back');
          transactions.publishAfterCommit(new ProbeEvent('tx-rolled-back'));
        });
        throw new Error('the use case fails after the owner wrote');
      }),
    ).rejects.toThrow('the use case fails after the owner wrote');
    expect(await committed('tx-rolled-back')).toBe(false);
    // A later event proves the bus delivered everything queued before it.
    transactions.publishAfterCommit(new ProbeEvent('tx-marker'));
    await waitForSeen('tx-marker');
    expect(seen.map((entry) => entry.label)).not.toContain('tx-rolled-back');
  });

  it('should publish at once outside a use case', async () => {
    expect(transactions.inTransaction()).toBe(false);
    transactions.publishAfterCommit(new ProbeEvent('tx-outside'));
    await waitForSeen('tx-outside');
  });

  it('should send the writes queued for the commit together, once the work is done, and none when it fails', async () => {
    const rename = (from: string, to: string) => ({
      sql: 'UPDATE organizations SET name = ? WHERE name = ?',
      params: [to, from],
    });
    await insertOrganization('tx-queued-a');
    await insertOrganization('tx-queued-b');

    await transactions.run(async () => {
      await transactions.writeBeforeCommit(rename('tx-queued-a', 'tx-queued-a2'));
      await transactions.run(() => transactions.writeBeforeCommit(rename('tx-queued-b', 'tx-queued-b2')));
      // Queued, not sent: the work itself still reads the rows as they were.
      expect(await em.execute('SELECT name FROM organizations WHERE name LIKE ?', ['tx-queued-%'])).toHaveLength(2);
      expect(await committed('tx-queued-a')).toBe(true);
    });
    expect([await committed('tx-queued-a2'), await committed('tx-queued-b2')]).toEqual([true, true]);

    await expect(
      transactions.run(async () => {
        await transactions.writeBeforeCommit(rename('tx-queued-a2', 'tx-never'));
        throw new Error('the use case fails after queueing a write');
      }),
    ).rejects.toThrow('the use case fails after queueing a write');
    expect([await committed('tx-queued-a2'), await committed('tx-never')]).toEqual([true, false]);

    // Outside a use case, at once.
    await transactions.writeBeforeCommit(rename('tx-queued-b2', 'tx-queued-b3'));
    expect(await committed('tx-queued-b3')).toBe(true);
  });

  async function waitForSeen(label: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    while (!seen.some((entry) => entry.label === label)) {
      if (Date.now() > deadline) {
        throw new Error(`event ${label} never reached the listener`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
});

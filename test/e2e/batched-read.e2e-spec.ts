import { DriverException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';

import { BatchedRead } from 'src/common/database/batched-read';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

// Each read's own value back, with the statement that carried it: the backend and the statement's start.
const ECHO_SQL = `SELECT q.i::int AS i, q.value, pg_backend_pid() AS pid, statement_timestamp()::text AS started
    FROM unnest(?::text[]) WITH ORDINALITY AS q(value, i)
   WHERE q.value <> 'absent'`;

interface Echo {
  i: number;
  value: string;
  pid: number;
  started: string;
}

describe('BatchedRead (e2e)', () => {
  let sut: TestApp;
  let em: EntityManager;
  const echo = new BatchedRead<string, Echo>({
    sql: ECHO_SQL,
    columns: (values) => [values],
    maxBatch: 8,
    maxInFlight: 1,
  });

  beforeAll(async () => {
    sut = await createTestApp();
    em = sut.app.get(EntityManager).fork();
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('should answer each of many concurrent reads with its own row, in fewer statements than reads', async () => {
    const values = Array.from({ length: 40 }, (_, index) => `value ${index}`);

    const rows = await Promise.all(values.map((value) => echo.read(em, value)));

    expect(rows.map((row) => row?.value)).toEqual(values);
    const statements = new Set(rows.map((row) => `${row?.pid} ${row?.started}`));
    // The first goes alone; the 39 that waited go at most 8 to a statement.
    expect(statements.size).toBeLessThanOrEqual(1 + Math.ceil(39 / 8));
    expect(statements.size).toBeGreaterThan(1);
  });

  it('should answer null to a read the statement has no row for, and its neighbours their rows', async () => {
    const rows = await Promise.all(['before', 'absent', 'after'].map((value) => echo.read(em, value)));

    expect(rows.map((row) => row?.value ?? null)).toEqual(['before', null, 'after']);
  });

  it('should fail every read of a failed statement with the converted error, and go on serving reads', async () => {
    const reads = ['fine', 'not\u0000text', 'fine too'].map((value) =>
      echo.read(em, value).then(
        (row) => ({ row }),
        (error: unknown) => ({ error }),
      ),
    );
    const outcomes = await Promise.all(reads);

    // The first went alone and succeeded; the other two shared the statement a NUL made PostgreSQL refuse.
    expect(outcomes[0]).toEqual({ row: expect.objectContaining({ value: 'fine' }) as unknown });
    expect((outcomes[1] as { error: unknown }).error).toBeInstanceOf(DriverException);
    expect((outcomes[2] as { error: unknown }).error).toBeInstanceOf(DriverException);
    await expect(echo.read(em, 'later')).resolves.toEqual(expect.objectContaining({ value: 'later' }));
  });

  it('should run alone inside a transaction, and see what it wrote', async () => {
    const readBack = new BatchedRead<string, { i: number; name: string }>({
      sql: `SELECT q.i::int AS i, o.name FROM unnest(?::text[]) WITH ORDINALITY AS q(name, i)
              JOIN organizations o ON o.name = q.name`,
      columns: (names) => [names],
      maxBatch: 8,
      maxInFlight: 1,
    });

    const seen = await em.transactional(async (trx) => {
      await trx.execute(`INSERT INTO organizations (id, name, created_at) VALUES (gen_random_uuid(), ?, now())`, [
        'Batched in a transaction',
      ]);
      return readBack.read(trx, 'Batched in a transaction');
    });

    expect(seen).toEqual({ i: 1, name: 'Batched in a transaction' });
  });
});

import { DriverException } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';

import { preparedRead } from 'src/common/database/bound-sql';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

describe('preparedRead (e2e)', () => {
  let sut: TestApp;
  let em: EntityManager;

  beforeAll(async () => {
    sut = await createTestApp();
    em = sut.app.get(EntityManager).fork();
  });

  afterAll(async () => {
    await sut?.close();
  });

  it('should run a read as a named statement with bound parameters, parsed once per connection', async () => {
    const sql = `SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE ? ORDER BY name`;
    const rows: Array<{ name: string; statement: string }> = [];
    // Read until the connection that prepared it answers (the pool may hand out others first).
    for (let attempt = 0; attempt < 50 && rows.length === 0; attempt++) {
      rows.push(...(await preparedRead<{ name: string; statement: string }>(em, sql, ['%pg_prepared_statements%'])));
    }

    expect(rows).toEqual([
      {
        name: expect.stringMatching(/^read_[0-9a-f]{20}$/) as string,
        statement: sql.replace('?', '$1'),
      },
    ]);
  });

  it('should join the open transaction, and see what it wrote', async () => {
    const seen = await em.transactional(async (trx) => {
      await trx.execute(`INSERT INTO organizations (id, name, created_at) VALUES (gen_random_uuid(), ?, now())`, [
        'Prepared',
      ]);
      return preparedRead<{ name: string }>(trx, 'SELECT name FROM organizations WHERE name = ?', ['Prepared']);
    });

    expect(seen).toEqual([{ name: 'Prepared' }]);
  });

  it("should convert a failed read's error as em.execute does", async () => {
    await expect(
      preparedRead(em, 'SELECT no_such_column FROM organizations WHERE id = ?', ['x']),
    ).rejects.toBeInstanceOf(DriverException);
  });
});

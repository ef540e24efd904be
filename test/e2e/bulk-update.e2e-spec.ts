import { Client } from 'pg';

import { bulkUpdate } from 'src/common/database/bulk-update';
import { createTestDatabase, dropTestDatabase } from 'test/utils/test-database';

/** bulkUpdate's statement as PostgreSQL runs it: every value arrives as written, and only where it changed. */
describe('bulkUpdate (PostgreSQL)', () => {
  let databaseUrl: string;
  let db: Client;
  const columns = [
    { column: 'name', type: 'varchar(512)' },
    { column: 'health', type: 'jsonb' },
    { column: 'seen_at', type: 'timestamptz' },
    { column: 'failures', type: 'int' },
  ];
  const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await dropTestDatabase(databaseUrl);
  });

  beforeEach(async () => {
    await db.query('DROP TABLE IF EXISTS things');
    await db.query(
      `CREATE TABLE things (id uuid PRIMARY KEY, name varchar(512), health jsonb, seen_at timestamptz,
                           failures int, handled boolean NOT NULL DEFAULT false, updated_at timestamptz)`,
    );
    await db.query(
      `INSERT INTO things (id, name, health, seen_at, failures)
       VALUES ($1, 'kept', '{"a": 1}', '2026-01-01T00:00:00Z', 3), ($2, 'kept too', NULL, NULL, 0)`,
      ids,
    );
  });

  async function run(write: { sql: string; params: unknown[] }): Promise<void> {
    let index = 0;
    await db.query(
      write.sql.replace(/\?/g, () => `$${++index}`),
      write.params,
    );
  }

  async function rows(): Promise<Array<Record<string, unknown>>> {
    const result = await db.query(
      'SELECT id, name, health, seen_at, failures, handled, updated_at IS NOT NULL AS stamped FROM things ORDER BY id',
    );
    return result.rows;
  }

  it('should write awkward texts, JSON, dates, numbers and nulls exactly, and only the columns that changed', async () => {
    const seenAt = new Date('2026-12-04T10:11:12.345Z');
    const name = 'a "quoted" name, with {braces}, a back\\slash and NULL';
    const health = { canSendMessage: 'BLOCKED', note: 'say "hi" \\ {x}', entities: [] };

    await run(
      bulkUpdate('things', columns, [
        { id: ids[0], changes: { name, health, seen_at: seenAt } },
        { id: ids[1], changes: { name: null, failures: 7 } },
      ]),
    );

    expect(await rows()).toEqual([
      { id: ids[0], name, health, seen_at: seenAt, failures: 3, handled: false, stamped: true },
      { id: ids[1], name: null, health: null, seen_at: null, failures: 7, handled: false, stamped: true },
    ]);
  });

  it('should apply the caller assignments to a row with no change of its own', async () => {
    await run(bulkUpdate('things', columns, [{ id: ids[1], changes: {} }], 'handled = true'));

    expect((await rows()).map((row) => [row.name, row.handled, row.stamped])).toEqual([
      ['kept', false, false],
      ['kept too', true, true],
    ]);
  });
});

import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';

import { buildMikroOrmConfig } from 'config/mikro-orm.config';

/** Arbitrary but fixed: every instance of the service takes the same advisory lock to migrate. */
const MIGRATION_LOCK_KEY = 7_204_118_733;

/**
 * Applies pending migrations under a session-level PostgreSQL advisory lock, so several instances starting
 * together migrate once and the others wait, then find nothing pending. Returns the applied names.
 */
export async function migrateDatabase(url: string): Promise<string[]> {
  const lock = new Client({ connectionString: url });
  await lock.connect();
  try {
    const baseMigrations = buildMikroOrmConfig(url).migrations;
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const orm = await MikroORM.init(
      buildMikroOrmConfig(url, {
        entities: [],
        entitiesTs: [],
        discovery: { warnWhenNoEntities: false },
        pool: { min: 0, max: 2 },
        // No snapshot: after applying migrations the migrator would rewrite the committed snapshot from the
        // database it just migrated (reordered), leaving a checkout dirty after every start or test run.
        migrations: { ...baseMigrations, silent: true, snapshot: false },
      }),
    );
    try {
      const applied = await orm.getMigrator().up();
      return applied.map((migration) => migration.name);
    } finally {
      await orm.close(true);
    }
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

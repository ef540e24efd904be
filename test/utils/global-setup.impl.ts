import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';

import { EmbeddedDatabase } from 'src/common/database/embedded-postgres';
import { migrateDatabase } from 'src/common/database/migrate';
import { TEMPLATE_DATABASE, withDatabase } from 'test/utils/test-database';

declare global {
  var __EMBEDDED_DATABASE__: EmbeddedDatabase | undefined;
}

/**
 * Starts an embedded PostgreSQL when DATABASE_URL is unset, then builds a migrated template database
 * that every test file clones (test/utils/test-database.ts). Runs the real migrations, so they are
 * tested too.
 */
export async function setUpTestDatabase(): Promise<void> {
  process.env.TZ = 'UTC';
  if (!process.env.DATABASE_URL) {
    // One cluster per run, so parallel runs on one machine never stop each other's server.
    const dataDir = join(tmpdir(), `whatsapp-assets-test-pg-${process.pid}`);
    const database = await EmbeddedDatabase.start({ dataDir });
    globalThis.__EMBEDDED_DATABASE__ = database;
    process.env.DATABASE_URL = database.url('postgres');
  }
  const adminUrl = process.env.DATABASE_URL;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
      [TEMPLATE_DATABASE],
    );
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE}`);
    await admin.query(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  await migrateDatabase(withDatabase(adminUrl, TEMPLATE_DATABASE));
  process.env.TEST_ADMIN_DATABASE_URL = adminUrl;
}

import { tmpdir } from 'node:os';
import { join } from 'node:path';

import Redis from 'ioredis';
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
  await detectRedis();
}

/**
 * Redis is optional for the service, so the suites that run the rate limiter on Redis need one: the
 * developer machines and CI have it on 127.0.0.1:6379 (TEST_REDIS_URL overrides, `off` skips them).
 * Sets TEST_REDIS_URL for the test files when it answers, else says that those suites are skipped.
 */
async function detectRedis(): Promise<void> {
  const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (url === 'off') {
    delete process.env.TEST_REDIS_URL;
    return;
  }
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    process.env.TEST_REDIS_URL = url;
  } catch {
    delete process.env.TEST_REDIS_URL;
    process.stderr.write(`\nNo Redis at ${url}: the Redis rate-limit suites are skipped.\n`);
  } finally {
    redis.disconnect();
  }
}

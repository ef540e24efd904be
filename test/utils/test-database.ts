import { randomBytes } from 'node:crypto';

import { Client } from 'pg';

/** Migrated once per run by the global setup; cloned per test file. */
export const TEMPLATE_DATABASE = 'wa_assets_test_template';

/** Same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Creates a fresh database cloned from the migrated template and returns its URL. Each test file gets
 * its own, so files can run in parallel; drop it with {@link dropTestDatabase}.
 */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = requireAdminUrl();
  const name = `wa_assets_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.end();
  }
  return withDatabase(adminUrl, name);
}

/** Drops a database made by {@link createTestDatabase}, closing stray connections first. */
export async function dropTestDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  const admin = new Client({ connectionString: requireAdminUrl() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

function requireAdminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) {
    throw new Error('The Jest global setup did not provide a database');
  }
  return url;
}

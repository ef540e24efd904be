import { randomBytes } from 'node:crypto';

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import request from 'supertest';

import { AppModule } from 'src/app.module';
import { configureApp } from 'src/bootstrap/configure-app';
import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { createTestDatabase, dropTestDatabase } from 'test/utils/test-database';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const TEST_APP_ID = '1234567890123';
export const TEST_APP_SECRET = 'test-app-secret-0123456789';
export const TEST_VERIFY_TOKEN = 'test-verify-token';
export const TEST_SYSTEM_USER_TOKEN = 'EAATESTSYSTEMUSERTOKEN0123456789';

/** Options of {@link createTestApp}. */
export interface TestAppOptions {
  /** Extra or overriding environment variables. */
  env?: Record<string, string>;
  /** Start an in-process Meta simulator and point the gateway at it (default true). */
  simulator?: boolean;
  /** Simulator options beyond the app credentials. */
  simulatorLatencyMs?: number;
  /** Reuse this database instead of creating a fresh one (restart tests). */
  databaseUrl?: string;
  /** The console build to serve at `/` (null: none); default as main.ts: dist/console when built. */
  consoleDir?: string | null;
}

/** A running app on a real port, its own database, and (by default) its own Meta simulator. */
export interface TestApp {
  app: INestApplication;
  url: string;
  databaseUrl: string;
  simulator: MetaSimulator;
  http: () => ReturnType<typeof request>;
  /** Creates an organization through the API; returns its id and bearer key. */
  createOrganization(name?: string): Promise<{ id: string; key: string }>;
  /** Stops the app; keeps the database when `keepDatabase` (to start another app on it). */
  close(options?: { keepDatabase?: boolean; keepSimulator?: boolean }): Promise<void>;
}

/**
 * Boots the whole AppModule exactly as main.ts does (same configureApp), listening on 127.0.0.1:0, with
 * a fresh database cloned from the migrated template and the real Graph gateway talking HTTP to an
 * in-process MetaSimulator.
 */
export async function createTestApp(options: TestAppOptions = {}, existingSimulator?: MetaSimulator): Promise<TestApp> {
  const databaseUrl = options.databaseUrl ?? (await createTestDatabase());
  const simulator =
    existingSimulator ??
    new MetaSimulator({
      appId: TEST_APP_ID,
      appSecret: TEST_APP_SECRET,
      systemUserToken: TEST_SYSTEM_USER_TOKEN,
      latencyMs: options.simulatorLatencyMs ?? 0,
    });
  const simulatorUrl = existingSimulator ? existingSimulator.url : await simulator.start(0);

  Object.assign(process.env, {
    DATABASE_URL: databaseUrl,
    ADMIN_API_TOKEN: TEST_ADMIN_TOKEN,
    TOKEN_ENCRYPTION_KEY: randomBytesKey(),
    META_APP_ID: TEST_APP_ID,
    META_APP_SECRET: TEST_APP_SECRET,
    META_WEBHOOK_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    META_GRAPH_BASE_URL: simulatorUrl,
    META_SYSTEM_USER_TOKEN: '',
    META_SANDBOX: 'false',
    META_REQUEST_TIMEOUT_MS: '2000',
    SCHEDULER_ENABLED: 'false',
    RATE_LIMIT_PER_MINUTE: '100000',
    AUTH_FAILURES_PER_MINUTE: '100000',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });

  const app = await NestFactory.create(AppModule, { bodyParser: false, rawBody: true, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureApp(app, { consoleDir: options.consoleDir });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  simulator.setWebhookUrl(`${url}/webhooks/meta`);

  const http = () => request(url);
  return {
    app,
    url,
    databaseUrl,
    simulator,
    http,
    createOrganization: async (name = 'Acme') => {
      const response = await http()
        .post('/api/v1/organizations')
        .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
        .send({ name })
        .expect(201);
      const body = response.body as { id: string; apiKey: { key: string } };
      return { id: body.id, key: body.apiKey.key };
    },
    close: async ({ keepDatabase = false, keepSimulator = false } = {}) => {
      await app.close();
      if (!keepSimulator && !existingSimulator) {
        await simulator.stop();
      }
      if (!keepDatabase && !options.databaseUrl) {
        await dropTestDatabase(databaseUrl);
      }
    },
  };
}

// The key must stay stable across restarts of one test database, so derive it per process.
const processKey = randomBytes(32).toString('base64');
function randomBytesKey(): string {
  return processKey;
}

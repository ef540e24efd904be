import 'reflect-metadata';

import { existsSync } from 'node:fs';

import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';

import { InvalidConfigurationError, validate } from 'config/env.validation';
import { configureApp } from 'src/bootstrap/configure-app';
import { findConsoleBuild } from 'src/bootstrap/console';
import { prepareRuntime } from 'src/bootstrap/runtime';
import { EmbeddedDatabaseError } from 'src/common/database/embedded-postgres.error';
import { migrateDatabase } from 'src/common/database/migrate';

import { AppModule } from './app.module';

// Start-up and shutdown talk to the operator on stdout before (and after) the JSON logger exists.
function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function bootstrap(): Promise<void> {
  if (existsSync('.env')) {
    process.loadEnvFile('.env');
  }
  const startedAt = Date.now();
  const runtime = await prepareRuntime({ log: say });
  const env = validate(process.env);
  if (env.MIGRATE_ON_START) {
    const applied = await migrateDatabase(env.DATABASE_URL as string);
    say(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date');
  }

  const app = await NestFactory.create(AppModule, { bodyParser: false, rawBody: true, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureApp(app);
  await app.listen(env.PORT, env.HOST);

  const base = `http://${env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST}:${env.PORT}`;
  say(`WhatsApp Assets API listening on ${base}/api/v1 (ready in ${Date.now() - startedAt} ms)`);
  if (findConsoleBuild()) {
    say(`Console (the guide's pages): ${base}/`);
  }
  say(`Swagger UI: ${base}/docs   OpenAPI: ${base}/docs-json`);
  if (runtime.sandbox && runtime.adminApiToken) {
    say(`Sandbox admin token (ADMIN_API_TOKEN): ${runtime.adminApiToken}`);
  }

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    say(`${signal}: finishing in-flight requests and shutting down`);
    try {
      await app.close();
    } finally {
      await runtime.stop();
      say('Stopped');
      process.exit(0);
    }
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void shutdown(signal));
  }
}

bootstrap().catch((error: unknown) => {
  // Both already say what is wrong and what to do; a stack trace would bury that.
  if (error instanceof InvalidConfigurationError || error instanceof EmbeddedDatabaseError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});

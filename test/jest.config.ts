import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import type { Config } from 'jest';

const shared: Config = {
  rootDir: resolve(__dirname, '..'),
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] as [string, unknown],
  },
  moduleNameMapper: {
    '^src/(.*)$': '<rootDir>/src/$1',
    '^config/(.*)$': '<rootDir>/config/$1',
    '^test/(.*)$': '<rootDir>/test/$1',
  },
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/utils/jest-env.ts'],
};

interface NestCliPlugin {
  name: string;
  options?: Record<string, unknown>;
}

/** The Swagger plugin's options exactly as `nest build` runs it, so the contract tier sees the same document. */
function swaggerPluginOptions(): Record<string, unknown> {
  const nestCli = JSON.parse(readFileSync(resolve(__dirname, '..', 'nest-cli.json'), 'utf8')) as {
    compilerOptions?: { plugins?: Array<string | NestCliPlugin> };
  };
  const plugin = nestCli.compilerOptions?.plugins?.find(
    (entry): entry is NestCliPlugin => typeof entry === 'object' && entry.name === '@nestjs/swagger',
  );
  if (!plugin) {
    throw new Error('nest-cli.json no longer runs the @nestjs/swagger plugin; update the contract tier with it');
  }
  return plugin.options ?? {};
}

/**
 * The contract tier builds /docs-json as production does. The Swagger CLI plugin, which `nest build` runs,
 * adds the properties and descriptions the DTOs do not decorate; it needs the type checker, so this tier
 * compiles with ts-jest's language service (isolatedModules off) rather than file by file, and runs the
 * plugin as an AST transformer (test/utils/swagger-plugin.transformer.js).
 */
const contract: Config = {
  ...shared,
  displayName: 'contract',
  testMatch: ['<rootDir>/test/**/*.contract-spec.ts'],
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      {
        tsconfig: { isolatedModules: false },
        // Type errors are `npm run typecheck`'s job; reporting them here would only slow the tier down.
        diagnostics: false,
        astTransformers: {
          before: [{ path: '<rootDir>/test/utils/swagger-plugin.transformer.js', options: swaggerPluginOptions() }],
        },
      },
    ] as [string, unknown],
  },
};

/**
 * One run for every tier. The global setup starts an embedded PostgreSQL when DATABASE_URL is unset and
 * migrates a template database; each test file then gets its own copy (test/utils/test-database.ts),
 * so files run in parallel without sharing rows.
 */
const config: Config = {
  ...shared,
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  maxWorkers: 2,
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/config/**/*.spec.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    contract,
  ],
};

export default config;

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
  ],
};

export default config;

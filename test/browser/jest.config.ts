import type { Config } from 'jest';

// Jest loads its config before any path alias exists: the one relative import of the tests.
// eslint-disable-next-line no-restricted-imports
import base from '../jest.config';

/**
 * `npm run test:browser`: the console in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) against a real service. Kept out of jest.config.ts's projects, so `npm test` needs no
 * browser; same database set-up (embedded PostgreSQL when DATABASE_URL is unset).
 */
const config: Config = {
  rootDir: base.rootDir,
  moduleFileExtensions: base.moduleFileExtensions,
  transform: base.transform,
  moduleNameMapper: base.moduleNameMapper,
  testEnvironment: base.testEnvironment,
  setupFiles: base.setupFiles,
  globalSetup: base.globalSetup,
  globalTeardown: base.globalTeardown,
  testMatch: ['<rootDir>/test/browser/**/*.browser-spec.ts'],
  maxWorkers: 1,
  testTimeout: 120000,
};

export default config;

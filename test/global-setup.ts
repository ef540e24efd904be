import { join } from 'node:path';

/**
 * Jest runs this file without moduleNameMapper and drops its TypeScript hook once the file has loaded,
 * while MikroORM later requires the TypeScript migrations itself: so register ts-node and the path
 * aliases for the whole setup, then load the real setup (test/utils/global-setup.impl.ts).
 */
export default async function globalSetup(): Promise<void> {
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
  require('tsconfig-paths').register({
    baseUrl: join(__dirname, '..'),
    paths: { 'src/*': ['src/*'], 'config/*': ['config/*'], 'test/*': ['test/*'] },
  });
  const { setUpTestDatabase } = require('./utils/global-setup.impl') as typeof import('./utils/global-setup.impl');
  /* eslint-enable @typescript-eslint/no-require-imports */
  await setUpTestDatabase();
}

import { Migrator } from '@mikro-orm/migrations';
import { defineConfig, type Options } from '@mikro-orm/postgresql';

const runningTypeScript = __filename.endsWith('.ts');

/**
 * The one MikroORM configuration, used by the application (with the URL resolved at start-up) and by
 * the MikroORM CLI (`npm run migration:*`, reading DATABASE_URL or a local default).
 */
export function buildMikroOrmConfig(clientUrl: string, overrides: Partial<Options> = {}) {
  return defineConfig({
    clientUrl,
    entities: ['dist/src/**/*.entity.js'],
    entitiesTs: ['src/**/*.entity.ts'],
    preferTs: runningTypeScript,
    extensions: [Migrator],
    migrations: {
      path: 'dist/migrations',
      pathTs: 'migrations',
      glob: '!(*.d).{js,ts}',
      snapshot: true,
      snapshotName: '.snapshot-whatsapp-assets',
      transactional: true,
      allOrNothing: true,
      emit: 'ts',
    },
    pool: { min: 0, max: 10 },
    forceUtcTimezone: true,
    allowGlobalContext: false,
    debug: false,
    ...overrides,
  });
}

export default buildMikroOrmConfig(process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/whatsapp_assets');

import { MikroOrmModule } from '@mikro-orm/nestjs';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { buildMikroOrmConfig } from 'config/mikro-orm.config';

import { PoolContextIsolation } from './pool-context';
import { QueryErrorBounds } from './query-error-bounds';

/**
 * MikroORM on PostgreSQL; entities come from each module's forFeature. Failed queries log no SQL; the
 * connection pool keeps no caller's async context (and with it no request's EntityManager).
 */
@Module({
  imports: [
    MikroOrmModule.forRootAsync({
      driver: PostgreSqlDriver,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => ({
        ...buildMikroOrmConfig(config.get('database.url', { infer: true }), {
          entities: [],
          entitiesTs: [],
          pool: { min: 0, max: 20 },
        }),
        autoLoadEntities: true,
        registerRequestContext: true,
      }),
    }),
  ],
  providers: [QueryErrorBounds, PoolContextIsolation],
})
export class DatabaseModule {}

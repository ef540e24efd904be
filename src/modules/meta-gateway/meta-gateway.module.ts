import { EntityManager } from '@mikro-orm/postgresql';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaGateway } from './meta-gateway';
import { MetaThrottleRegistry } from './meta-throttle.registry';
import { MetaThrottleStore, PostgresMetaThrottleStore, RedisMetaThrottleStore } from './meta-throttle.store';

/**
 * Binds the {@link MetaGateway} port to the Graph API implementation. Expects the `meta` config namespace
 * to be loaded by a global ConfigModule (AppModule loads config/meta.config.ts); it does not load it
 * itself, so tests can point it at the simulator with their own `meta` values. Meta's throttle pauses are
 * shared by the instances in Redis when `REDIS_URL` is set, else in PostgreSQL; a module built without a
 * database (gateway specs) keeps them per instance.
 */
@Module({
  providers: [
    {
      provide: MetaThrottleStore,
      inject: [ConfigService, { token: EntityManager, optional: true }],
      useFactory: (config: ConfigService<AllConfig, true>, em: EntityManager | undefined): MetaThrottleStore | null => {
        const redisUrl = config.get('rateLimit', { infer: true })?.redisUrl;
        if (redisUrl) {
          return new RedisMetaThrottleStore(redisUrl);
        }
        return em ? new PostgresMetaThrottleStore(em) : null;
      },
    },
    MetaThrottleRegistry,
    { provide: MetaGateway, useClass: GraphApiMetaGateway },
  ],
  exports: [MetaGateway],
})
export class MetaGatewayModule {}

import { MikroOrmModule } from '@mikro-orm/nestjs';
import { EntityManager } from '@mikro-orm/postgresql';
import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import { PostgresRateLimitStore } from './postgres-rate-limit.store';
import { RateLimitBucket } from './rate-limit-bucket.entity';
import { RateLimitStore } from './rate-limit.store';
import { RateLimiter } from './rate-limiter';
import { RedisRateLimitStore } from './redis-rate-limit.store';

/**
 * The shared rate-limit state and the {@link RateLimiter} the authentication guard uses: buckets in
 * PostgreSQL, or in Redis when `REDIS_URL` is set.
 */
@Global()
@Module({
  imports: [MikroOrmModule.forFeature([RateLimitBucket])],
  providers: [
    {
      provide: RateLimitStore,
      inject: [ConfigService, EntityManager],
      useFactory: (config: ConfigService<AllConfig, true>, em: EntityManager): RateLimitStore => {
        const redisUrl = config.get('rateLimit.redisUrl', { infer: true });
        return redisUrl ? new RedisRateLimitStore(redisUrl) : new PostgresRateLimitStore(em);
      },
    },
    RateLimiter,
  ],
  exports: [RateLimiter],
})
export class RateLimitModule {}

import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import { DomainEventsListener } from './listeners/domain-events.listener';
import { LiveEventRelay } from './live-event.relay';
import { LiveEventsController } from './live-events.controller';
import { LiveEventsService } from './live-events.service';
import { PostgresLiveEventRelay } from './postgres-live-event.relay';
import { RedisLiveEventRelay } from './redis-live-event.relay';

/**
 * `GET /api/v1/events`: the owners' domain events as server-sent frames, scoped to the organization and
 * carried between instances by PostgreSQL LISTEN/NOTIFY, or Redis pub/sub when `REDIS_URL` is set.
 */
@Module({
  controllers: [LiveEventsController],
  providers: [
    {
      provide: LiveEventRelay,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>): LiveEventRelay => {
        const redisUrl = config.get('liveEvents.redisUrl', { infer: true });
        return redisUrl
          ? new RedisLiveEventRelay(redisUrl)
          : new PostgresLiveEventRelay(config.get('database.url', { infer: true }));
      },
    },
    LiveEventsService,
    DomainEventsListener,
  ],
  exports: [LiveEventsService],
})
export class LiveEventsModule {}

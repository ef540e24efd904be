import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';

import { MetaCallObserver } from 'src/modules/meta-gateway/meta-call-observer';
import { MetaWebhooksModule } from 'src/modules/meta-webhooks/meta-webhooks.module';
import { SyncRoundObserver } from 'src/modules/sync/sync-round.observer';

import { HttpMetricsMiddleware } from './http-metrics.middleware';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';

/**
 * `GET /metrics` and the observers behind it. Global, so that the gateway and the sync rounds find the
 * observer ports they take as optional dependencies without importing this module.
 */
@Global()
@Module({
  imports: [MetaWebhooksModule],
  controllers: [MetricsController],
  providers: [
    MetricsService,
    { provide: MetaCallObserver, useExisting: MetricsService },
    { provide: SyncRoundObserver, useExisting: MetricsService },
  ],
  exports: [MetricsService, MetaCallObserver, SyncRoundObserver],
})
export class MetricsModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}

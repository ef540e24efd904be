import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { AuditModule } from 'src/modules/audit/audit.module';
import { MetaGatewayModule } from 'src/modules/meta-gateway/meta-gateway.module';

import { WabaAccountStateService } from './waba-account-state.service';
import { WabaAlert } from './waba-alert.entity';
import { WabaAlertsService } from './waba-alerts.service';
import { WabaChanges } from './waba-changes';
import { WabaSubscriptionService } from './waba-subscription.service';
import { WabaSyncStateService } from './waba-sync-state.service';
import { WabaWebhooksRepository } from './waba-webhooks.repository';
import { WabaWebhooksService } from './waba-webhooks.service';
import { Waba } from './waba.entity';
import { WabasController } from './wabas.controller';
import { WabasService } from './wabas.service';

/**
 * WABAs, the one owner of the `wabas` and `waba_alerts` tables: the list of the guide, their derived status, and the named
 * commands through which every source (API, webhooks, sync, signup) changes them.
 */
@Module({
  imports: [MikroOrmModule.forFeature([Waba, WabaAlert]), AuditModule, MetaGatewayModule],
  controllers: [WabasController],
  providers: [
    WabasService,
    WabaAccountStateService,
    WabaAlertsService,
    WabaSyncStateService,
    WabaSubscriptionService,
    WabaWebhooksService,
    WabaWebhooksRepository,
    WabaChanges,
  ],
  exports: [
    WabasService,
    WabaAccountStateService,
    WabaAlertsService,
    WabaSyncStateService,
    WabaSubscriptionService,
    WabaWebhooksService,
  ],
})
export class WabasModule {}

import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Module } from '@nestjs/common';

import { AuditModule } from 'src/modules/audit/audit.module';
import { MmLiteModule } from 'src/modules/mm-lite/mm-lite.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { SyncModule } from 'src/modules/sync/sync.module';
import { TemplatesModule } from 'src/modules/templates/templates.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { AccountAlertsHandler } from './handlers/account-alerts.handler';
import { AccountUpdateHandler } from './handlers/account-update.handler';
import { MessageStatusHandler } from './handlers/message-status.handler';
import { PhoneNumberUpdateHandler } from './handlers/phone-number-update.handler';
import { TemplateUpdateHandler } from './handlers/template-update.handler';
import { WebhookChangeDispatcher } from './handlers/webhook-change.dispatcher';
import { MetaWebhooksController } from './meta-webhooks.controller';
import { MetaWebhooksService } from './meta-webhooks.service';
import { WebhookInboxItem } from './webhook-inbox-item.entity';
import { WebhookInboxRetentionService } from './webhook-inbox-retention.service';
import { WebhookInboxStatsService } from './webhook-inbox-stats.service';
import { WebhookInboxRepository } from './webhook-inbox.repository';
import { WebhookInboxWorker } from './webhook-inbox.worker';
import { WebhookLaneProcessor } from './webhook-lane.processor';
import { WebhookIntakeLoad } from './webhook-intake.load';

/**
 * Meta webhooks: signed deliveries in at /webhooks/meta, the durable inbox and its worker, dispatch of
 * each change to the owning module's named commands.
 */
@Module({
  imports: [
    MikroOrmModule.forFeature([WebhookInboxItem]),
    AuditModule,
    WabasModule,
    PhoneNumbersModule,
    SyncModule,
    TemplatesModule,
    MmLiteModule,
  ],
  controllers: [MetaWebhooksController],
  providers: [
    MetaWebhooksService,
    WebhookInboxStatsService,
    WebhookInboxRetentionService,
    WebhookInboxRepository,
    WebhookInboxWorker,
    WebhookLaneProcessor,
    WebhookIntakeLoad,
    WebhookChangeDispatcher,
    AccountUpdateHandler,
    PhoneNumberUpdateHandler,
    TemplateUpdateHandler,
    MessageStatusHandler,
    AccountAlertsHandler,
  ],
  exports: [MetaWebhooksService, WebhookInboxStatsService, WebhookInboxRetentionService],
})
export class MetaWebhooksModule {}

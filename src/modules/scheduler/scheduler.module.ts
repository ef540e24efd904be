import { Module } from '@nestjs/common';

import { MetaWebhooksModule } from 'src/modules/meta-webhooks/meta-webhooks.module';
import { MmLiteModule } from 'src/modules/mm-lite/mm-lite.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { SyncModule } from 'src/modules/sync/sync.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

import { MarketingSendPruneJob } from './jobs/marketing-send-prune.job';
import { OnboardingRetryJob } from './jobs/onboarding-retry.job';
import { PendingConnectionsJob } from './jobs/pending-connections.job';
import { StatusSyncJob } from './jobs/status-sync.job';
import { WebhookInboxPruneJob } from './jobs/webhook-inbox-prune.job';

/**
 * The timing of background work, and only the timing: each job delegates to the owning module's service.
 * Jobs register their intervals at bootstrap when SCHEDULER_ENABLED; tests call `run()` directly.
 */
@Module({
  imports: [SyncModule, PhoneNumbersModule, WabasModule, MetaWebhooksModule, MmLiteModule],
  providers: [StatusSyncJob, OnboardingRetryJob, PendingConnectionsJob, WebhookInboxPruneJob, MarketingSendPruneJob],
  exports: [StatusSyncJob, OnboardingRetryJob, PendingConnectionsJob, WebhookInboxPruneJob, MarketingSendPruneJob],
})
export class SchedulerModule {}

import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import {
  type WebhookInboxPruneResult,
  WebhookInboxRetentionService,
} from 'src/modules/meta-webhooks/webhook-inbox-retention.service';
import { WEBHOOK_INBOX_PRUNE_JOB_NAME, WEBHOOK_INBOX_PRUNE_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

import { IntervalJob } from './interval.job';

/** Timing of the webhook inbox's retention: processed deliveries past it are deleted in small batches. */
@Injectable()
export class WebhookInboxPruneJob extends IntervalJob<WebhookInboxPruneResult> {
  protected readonly jobName = WEBHOOK_INBOX_PRUNE_JOB_NAME;

  constructor(
    orm: MikroORM,
    private readonly retention: WebhookInboxRetentionService,
    registry: SchedulerRegistry,
    config: ConfigService<AllConfig, true>,
  ) {
    super(orm, registry, config);
  }

  protected intervalMs(): number {
    return WEBHOOK_INBOX_PRUNE_TICK_MS;
  }

  protected work(): Promise<WebhookInboxPruneResult> {
    return this.retention.pruneProcessed();
  }
}

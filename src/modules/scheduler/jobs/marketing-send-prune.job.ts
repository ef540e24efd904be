import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import {
  type MarketingSendPruneResult,
  MarketingSendRetentionService,
} from 'src/modules/mm-lite/marketing-send-retention.service';
import { MARKETING_SEND_PRUNE_JOB_NAME, MARKETING_SEND_PRUNE_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

import { IntervalJob } from './interval.job';

/**
 * Timing of the marketing sends' retention (MARKETING_MESSAGES_RETENTION_DAYS): older sends and ended pauses
 * are deleted in small batches.
 */
@Injectable()
export class MarketingSendPruneJob extends IntervalJob<MarketingSendPruneResult> {
  protected readonly jobName = MARKETING_SEND_PRUNE_JOB_NAME;

  constructor(
    orm: MikroORM,
    private readonly retention: MarketingSendRetentionService,
    registry: SchedulerRegistry,
    config: ConfigService<AllConfig, true>,
  ) {
    super(orm, registry, config);
  }

  protected intervalMs(): number {
    return MARKETING_SEND_PRUNE_TICK_MS;
  }

  protected work(now: Date): Promise<MarketingSendPruneResult> {
    return this.retention.prune(this.config.get('scheduler.marketingMessagesRetentionDays', { infer: true }), now);
  }
}

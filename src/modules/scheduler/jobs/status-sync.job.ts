import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import { STATUS_SYNC_JOB_NAME, STATUS_SYNC_TICK_MS } from 'src/modules/scheduler/scheduler.constants';
import { SyncRoundService } from 'src/modules/sync/sync-round.service';
import type { SyncRoundResult } from 'src/modules/sync/sync-round.types';

import { IntervalJob } from './interval.job';

/**
 * Timing of the periodic re-sync: ticks every min(STATUS_SYNC_TICK_MS, SYNC_INTERVAL_MINUTES) and runs a
 * round of due WABAs ({@link SyncRoundService.runRound}). Ticking more often than the interval keeps a
 * WABA synced a few seconds after a tick from waiting two intervals; other instances are kept apart by
 * the round's per-WABA claims, and a crashed instance's claims simply expire.
 */
@Injectable()
export class StatusSyncJob extends IntervalJob<SyncRoundResult> {
  protected readonly jobName = STATUS_SYNC_JOB_NAME;

  constructor(
    orm: MikroORM,
    private readonly rounds: SyncRoundService,
    registry: SchedulerRegistry,
    config: ConfigService<AllConfig, true>,
  ) {
    super(orm, registry, config);
  }

  protected intervalMs(): number {
    return Math.min(STATUS_SYNC_TICK_MS, this.config.get('scheduler.syncIntervalMinutes', { infer: true }) * 60_000);
  }

  protected work(now: Date): Promise<SyncRoundResult> {
    return this.rounds.runRound(now);
  }
}

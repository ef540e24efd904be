import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import { type SyncRoundResult, SyncRoundService } from 'src/modules/sync/sync-round.service';

import { STATUS_SYNC_JOB_NAME, STATUS_SYNC_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

/**
 * Timing of the periodic re-sync: when `scheduler.enabled`, ticks every
 * min(STATUS_SYNC_TICK_MS, SYNC_INTERVAL_MINUTES) and runs a round of due WABAs
 * ({@link SyncRoundService.runRound}). Overlapping ticks on one instance are skipped; other instances are
 * kept apart by the round's per-WABA claims, and a crashed instance's claims simply expire.
 */
@Injectable()
export class StatusSyncJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(StatusSyncJob.name);
  private running = false;

  constructor(
    // Read by @CreateRequestContext().
    private readonly orm: MikroORM,
    private readonly rounds: SyncRoundService,
    private readonly registry: SchedulerRegistry,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('scheduler.enabled', { infer: true })) {
      return;
    }
    const intervalMs = Math.min(
      STATUS_SYNC_TICK_MS,
      this.config.get('scheduler.syncIntervalMinutes', { infer: true }) * 60_000,
    );
    const timer = setInterval(() => void this.tick(), intervalMs);
    // The process may exit while a tick is waiting; the shutdown hooks clear the registry's intervals.
    timer.unref();
    this.registry.addInterval(STATUS_SYNC_JOB_NAME, timer);
    this.logger.log(`Status sync scheduled every ${intervalMs} ms`);
  }

  /**
   * Runs one round now unless this instance is already running one; returns its result, or null when
   * skipped. Never throws: a failed round is logged and the next tick tries again.
   */
  async run(now: Date = new Date()): Promise<SyncRoundResult | null> {
    if (this.running) {
      this.logger.debug('Status sync tick skipped: the previous round is still running');
      return null;
    }
    this.running = true;
    try {
      return await this.runInContext(now);
    } catch (error) {
      this.logger.error(`Status sync round failed: ${error instanceof Error ? error.message : 'unexpected error'}`);
      return null;
    } finally {
      this.running = false;
    }
  }

  @CreateRequestContext()
  private async runInContext(now: Date): Promise<SyncRoundResult> {
    return this.rounds.runRound(now);
  }

  private async tick(): Promise<void> {
    await this.run();
  }
}

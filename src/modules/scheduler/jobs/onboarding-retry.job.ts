import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { ONBOARDING_RETRY_JOB_NAME, ONBOARDING_RETRY_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

/**
 * Timing of the durable onboarding retries (registrations and webhook subscriptions that failed
 * transiently): every ONBOARDING_RETRY_TICK_MS when `scheduler.enabled`. The rows are claimed with
 * FOR UPDATE SKIP LOCKED by {@link PhoneNumbersService.runDueOnboardingRetries}, so instances share them.
 */
@Injectable()
export class OnboardingRetryJob implements OnApplicationBootstrap {
  private readonly logger = new Logger(OnboardingRetryJob.name);
  private running = false;

  constructor(
    // Read by @CreateRequestContext().
    private readonly orm: MikroORM,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly registry: SchedulerRegistry,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.get('scheduler.enabled', { infer: true })) {
      return;
    }
    const timer = setInterval(() => void this.run(), ONBOARDING_RETRY_TICK_MS);
    timer.unref();
    this.registry.addInterval(ONBOARDING_RETRY_JOB_NAME, timer);
  }

  /** Retries what is due now; returns how many steps were attempted (null when skipped). Never throws. */
  async run(now: Date = new Date()): Promise<{ attempted: number } | null> {
    if (this.running) {
      return null;
    }
    this.running = true;
    try {
      const result = await this.runInContext(now);
      if (result.attempted > 0) {
        this.logger.log(`Onboarding retries attempted: ${result.attempted}`);
      }
      return result;
    } catch (error) {
      this.logger.error(`Onboarding retries failed: ${error instanceof Error ? error.message : 'unexpected error'}`);
      return null;
    } finally {
      this.running = false;
    }
  }

  @CreateRequestContext()
  private async runInContext(now: Date): Promise<{ attempted: number }> {
    return this.phoneNumbers.runDueOnboardingRetries(now);
  }
}

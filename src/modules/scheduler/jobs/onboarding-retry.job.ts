import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import { OnboardingStepsService } from 'src/modules/phone-numbers/onboarding-steps.service';
import { ONBOARDING_RETRY_JOB_NAME, ONBOARDING_RETRY_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

import { IntervalJob } from './interval.job';

/**
 * Timing of the durable onboarding retries (registrations and webhook subscriptions that failed
 * transiently, or whose request died mid-step). The rows are claimed with FOR UPDATE SKIP LOCKED by
 * {@link OnboardingStepsService.runDueOnboardingRetries}, so instances share them.
 */
@Injectable()
export class OnboardingRetryJob extends IntervalJob<{ attempted: number }> {
  protected readonly jobName = ONBOARDING_RETRY_JOB_NAME;

  constructor(
    orm: MikroORM,
    private readonly steps: OnboardingStepsService,
    registry: SchedulerRegistry,
    config: ConfigService<AllConfig, true>,
  ) {
    super(orm, registry, config);
  }

  protected intervalMs(): number {
    return ONBOARDING_RETRY_TICK_MS;
  }

  protected async work(now: Date): Promise<{ attempted: number }> {
    const result = await this.steps.runDueOnboardingRetries(now);
    if (result.attempted > 0) {
      this.logger.log(`Onboarding retries attempted: ${result.attempted}`);
    }
    return result;
  }
}

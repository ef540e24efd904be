import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import { RegistrationService } from 'src/modules/phone-numbers/registration.service';
import { WabaSubscriptionService } from 'src/modules/wabas/waba-subscription.service';
import { ONBOARDING_RETRY_JOB_NAME, ONBOARDING_RETRY_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

import { IntervalJob } from './interval.job';

/** Webhook subscriptions retried per tick at most (registrations have their own bound). */
const ONBOARDING_RETRY_BATCH_SIZE = 20;

/**
 * Timing of the durable onboarding retries (registrations and webhook subscriptions that failed
 * transiently, or whose request died mid-step). The rows are claimed with FOR UPDATE SKIP LOCKED by
 * {@link RegistrationService.runDueRegistrations} and {@link WabaSubscriptionService.runDueSubscriptions},
 * so instances share them.
 */
@Injectable()
export class OnboardingRetryJob extends IntervalJob<{ attempted: number }> {
  protected readonly jobName = ONBOARDING_RETRY_JOB_NAME;

  constructor(
    orm: MikroORM,
    private readonly registrations: RegistrationService,
    private readonly subscriptions: WabaSubscriptionService,
    registry: SchedulerRegistry,
    config: ConfigService<AllConfig, true>,
  ) {
    super(orm, registry, config);
  }

  protected intervalMs(): number {
    return ONBOARDING_RETRY_TICK_MS;
  }

  protected async work(now: Date): Promise<{ attempted: number }> {
    const registrations = await this.registrations.runDueRegistrations(now);
    const subscriptions = await this.subscriptions.runDueSubscriptions(now, ONBOARDING_RETRY_BATCH_SIZE);
    const result = { attempted: registrations.attempted + subscriptions.attempted };
    if (result.attempted > 0) {
      this.logger.log(`Onboarding retries attempted: ${result.attempted}`);
    }
    return result;
  }
}

import { MikroORM } from '@mikro-orm/core';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import { EmbeddedSignupService } from 'src/modules/phone-numbers/embedded-signup.service';
import { PENDING_CONNECTIONS_JOB_NAME, PENDING_CONNECTIONS_TICK_MS } from 'src/modules/scheduler/scheduler.constants';

import { IntervalJob } from './interval.job';

type PendingConnectionsResult = Awaited<ReturnType<EmbeddedSignupService['runDuePendingConnections']>>;

/**
 * Timing of the kept Embedded Signup connections: verifies those Meta could not answer before (or whose
 * request died after the exchange) and deletes those older than a day, token included. Rows are claimed
 * with a lease by {@link EmbeddedSignupService.runDuePendingConnections}, so instances share them.
 */
@Injectable()
export class PendingConnectionsJob extends IntervalJob<PendingConnectionsResult> {
  protected readonly jobName = PENDING_CONNECTIONS_JOB_NAME;

  constructor(
    orm: MikroORM,
    private readonly signup: EmbeddedSignupService,
    registry: SchedulerRegistry,
    config: ConfigService<AllConfig, true>,
  ) {
    super(orm, registry, config);
  }

  protected intervalMs(): number {
    return PENDING_CONNECTIONS_TICK_MS;
  }

  protected async work(now: Date): Promise<PendingConnectionsResult> {
    const result = await this.signup.runDuePendingConnections(now);
    if (result.expired + result.connected + result.refused + result.kept > 0) {
      this.logger.log(
        `Pending connections: ${result.connected} connected, ${result.refused} refused, ${result.kept} kept, ` +
          `${result.expired} expired`,
      );
    }
    return result;
  }
}

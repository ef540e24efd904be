import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';

import appConfig from 'config/app.config';
import databaseConfig from 'config/database.config';
import liveEventsConfig from 'config/live-events.config';
import { validate } from 'config/env.validation';
import metaConfig from 'config/meta.config';
import rateLimitConfig from 'config/rate-limit.config';
import schedulerConfig from 'config/scheduler.config';
import { DatabaseModule } from 'src/common/database/database.module';
import { EventsModule } from 'src/common/events/events.module';
import { ProblemFilter } from 'src/common/exceptions/problem.filter';
import { LoggingModule } from 'src/common/logging/logging.module';
import { RateLimitModule } from 'src/common/rate-limit/rate-limit.module';
import { SecurityModule } from 'src/common/security/security.module';
import { AuditModule } from 'src/modules/audit/audit.module';
import { HealthModule } from 'src/modules/health/health.module';
import { LiveEventsModule } from 'src/modules/live-events/live-events.module';
import { translateMetaFailure } from 'src/modules/meta-gateway/meta-failure.problem';
import { MetaWebhooksModule } from 'src/modules/meta-webhooks/meta-webhooks.module';
import { MetricsModule } from 'src/modules/metrics/metrics.module';
import { MmLiteModule } from 'src/modules/mm-lite/mm-lite.module';
import { AuthGuard } from 'src/modules/organizations/guards/auth.guard';
import { OrganizationsModule } from 'src/modules/organizations/organizations.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { SandboxModule } from 'src/modules/sandbox/sandbox.module';
import { SchedulerModule } from 'src/modules/scheduler/scheduler.module';
import { SyncModule } from 'src/modules/sync/sync.module';
import { TemplatesModule } from 'src/modules/templates/templates.module';
import { WabasModule } from 'src/modules/wabas/wabas.module';

/** The modular monolith: platform modules first, then the feature modules. */
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: true,
      validate: (env) => {
        validate(env);
        return env;
      },
      load: [appConfig, databaseConfig, liveEventsConfig, metaConfig, rateLimitConfig, schedulerConfig],
    }),
    LoggingModule,
    EventEmitterModule.forRoot({ wildcard: false }),
    ScheduleModule.forRoot(),
    EventsModule,
    SecurityModule,
    DatabaseModule,
    RateLimitModule,
    HealthModule,
    MetricsModule,
    OrganizationsModule,
    AuditModule,
    WabasModule,
    PhoneNumbersModule,
    SyncModule,
    TemplatesModule,
    MmLiteModule,
    SandboxModule,
    MetaWebhooksModule,
    SchedulerModule,
    LiveEventsModule,
  ],
  providers: [
    // Authentication and the public API's rate limits (per organization, failed authentications per address).
    { provide: APP_GUARD, useClass: AuthGuard },
    // common imports no module: the modules' own exceptions reach the filter through their translators.
    { provide: APP_FILTER, useFactory: () => new ProblemFilter([translateMetaFailure]) },
  ],
})
export class AppModule {}

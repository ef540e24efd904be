import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { ScheduleModule } from '@nestjs/schedule';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';

import appConfig from 'config/app.config';
import type { AllConfig } from 'config/config.type';
import databaseConfig from 'config/database.config';
import { validate } from 'config/env.validation';
import metaConfig from 'config/meta.config';
import schedulerConfig from 'config/scheduler.config';
import { DatabaseModule } from 'src/common/database/database.module';
import { EventsModule } from 'src/common/events/events.module';
import { ProblemFilter } from 'src/common/exceptions/problem.filter';
import { LoggingModule } from 'src/common/logging/logging.module';
import { SecurityModule } from 'src/common/security/security.module';
import { AuditModule } from 'src/modules/audit/audit.module';
import { HealthModule } from 'src/modules/health/health.module';
import { MetaWebhooksModule } from 'src/modules/meta-webhooks/meta-webhooks.module';
import { MetricsModule } from 'src/modules/metrics/metrics.module';
import { MmLiteModule } from 'src/modules/mm-lite/mm-lite.module';
import { AuthGuard } from 'src/modules/organizations/guards/auth.guard';
import { OrganizationsModule } from 'src/modules/organizations/organizations.module';
import { PhoneNumbersModule } from 'src/modules/phone-numbers/phone-numbers.module';
import { SandboxModule } from 'src/modules/sandbox/sandbox.module';
import { SchedulerModule } from 'src/modules/scheduler/scheduler.module';
import { SyncModule } from 'src/modules/sync/sync.module';
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
      load: [appConfig, databaseConfig, metaConfig, schedulerConfig],
    }),
    LoggingModule,
    EventEmitterModule.forRoot({ wildcard: false }),
    ScheduleModule.forRoot(),
    EventsModule,
    SecurityModule,
    DatabaseModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<AllConfig, true>) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.get('app.rateLimitPerMinute', { infer: true }) }],
        getTracker: (request: Record<string, unknown>) => {
          const caller = request.caller as { apiKeyId?: string | null } | undefined;
          return caller?.apiKeyId ?? (typeof request.ip === 'string' ? request.ip : 'unknown');
        },
      }),
    }),
    HealthModule,
    MetricsModule,
    OrganizationsModule,
    AuditModule,
    WabasModule,
    PhoneNumbersModule,
    SyncModule,
    MmLiteModule,
    SandboxModule,
    MetaWebhooksModule,
    SchedulerModule,
  ],
  providers: [
    // Authentication runs first so that the throttler can count per API key rather than per address.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: ThrottlerGuard },
    { provide: APP_FILTER, useClass: ProblemFilter },
  ],
})
export class AppModule {}

import { registerAs } from '@nestjs/config';

import { validate } from 'config/env.validation';

export interface SchedulerConfig {
  enabled: boolean;
  syncIntervalMinutes: number;
  syncConcurrency: number;
  /** Lease of a claimed webhook delivery (renewed while it is worked on). */
  webhookLeaseMs: number;
}

export default registerAs('scheduler', (): SchedulerConfig => {
  const env = validate(process.env);
  return {
    enabled: env.SCHEDULER_ENABLED,
    syncIntervalMinutes: env.SYNC_INTERVAL_MINUTES,
    syncConcurrency: env.SYNC_CONCURRENCY,
    webhookLeaseMs: env.WEBHOOK_LEASE_MS,
  };
});

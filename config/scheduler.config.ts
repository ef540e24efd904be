import { registerAs } from '@nestjs/config';

import { validate } from 'config/env.validation';

export interface SchedulerConfig {
  enabled: boolean;
  syncIntervalMinutes: number;
  /** Minutes between two checks of a WABA's webhook subscription by the rounds. */
  webhooksCheckIntervalMinutes: number;
  /** Hours after which a round reads a WABA's templates again. */
  templateSyncIntervalHours: number;
  /** Days a recorded marketing send is kept before the retention job deletes it. */
  marketingMessagesRetentionDays: number;
  /** Lease of a round's claim on a WABA (renewed while the round holds it). */
  syncClaimLeaseMs: number;
  syncConcurrency: number;
  /** Lease of a claimed webhook delivery (renewed while it is worked on). */
  webhookLeaseMs: number;
}

export default registerAs('scheduler', (): SchedulerConfig => {
  const env = validate(process.env);
  return {
    enabled: env.SCHEDULER_ENABLED,
    syncIntervalMinutes: env.SYNC_INTERVAL_MINUTES,
    webhooksCheckIntervalMinutes: env.WEBHOOKS_CHECK_INTERVAL_MINUTES,
    templateSyncIntervalHours: env.TEMPLATE_SYNC_INTERVAL_HOURS,
    marketingMessagesRetentionDays: env.MARKETING_MESSAGES_RETENTION_DAYS,
    syncClaimLeaseMs: env.SYNC_CLAIM_LEASE_MS,
    syncConcurrency: env.SYNC_CONCURRENCY,
    webhookLeaseMs: env.WEBHOOK_LEASE_MS,
  };
});

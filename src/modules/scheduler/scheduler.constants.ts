/** Name of the re-sync interval in the SchedulerRegistry. */
export const STATUS_SYNC_JOB_NAME = 'status-sync';

/**
 * How often an instance looks for due WABAs. Each WABA is re-read every SYNC_INTERVAL_MINUTES (its
 * `next_sync_at`); ticking more often than that keeps a WABA from slipping a whole interval when the
 * previous round read it a few seconds after the tick, and picks up back-offs and throttle pauses when
 * they end. A tick with nothing due costs one claim query.
 */
export const STATUS_SYNC_TICK_MS = 60_000;

/** Name of the onboarding-retry interval in the SchedulerRegistry. */
export const ONBOARDING_RETRY_JOB_NAME = 'onboarding-retry';

/** How often due registrations and webhook subscriptions are retried. */
export const ONBOARDING_RETRY_TICK_MS = 15_000;

/** Name of the pending-connection interval in the SchedulerRegistry. */
export const PENDING_CONNECTIONS_JOB_NAME = 'pending-connections';

/** How often kept Embedded Signup connections are verified again and expired ones deleted. */
export const PENDING_CONNECTIONS_TICK_MS = 15_000;

/** Name of the webhook inbox prune interval in the SchedulerRegistry. */
export const WEBHOOK_INBOX_PRUNE_JOB_NAME = 'webhook-inbox-prune';

/** How often processed webhook deliveries past their retention are pruned (in small batches). */
export const WEBHOOK_INBOX_PRUNE_TICK_MS = 10 * 60_000;

/** Name of the marketing sends' retention interval in the SchedulerRegistry. */
export const MARKETING_SEND_PRUNE_JOB_NAME = 'marketing-send-prune';

/** How often marketing sends past their retention (and ended pauses) are pruned (in small batches). */
export const MARKETING_SEND_PRUNE_TICK_MS = 10 * 60_000;

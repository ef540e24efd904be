import type { WebhooksCheckRun } from 'src/modules/wabas/waba-webhooks.service';

/** What one instance did in one round (the body of `POST /api/v1/admin/sync-rounds`). */
export interface SyncRoundResult {
  /**
   * WABAs this instance claimed and handled in the round (not those another instance took over after this
   * one stalled past its lease: their new holder counts them).
   */
  wabas: number;
  /** Read and applied. */
  succeeded: number;
  /** Read failed (counted on the WABA, which backs off; a rejected token marks REAUTH_REQUIRED). */
  failed: number;
  /** Not read because Meta throttles them: paused until Meta's estimated time to regain access. */
  skipped: number;
  /** Graph calls made by the round (its webhooks checks and repairs included). */
  metaCalls: number;
  /**
   * The webhook subscriptions the round checked (each WABA every WEBHOOKS_CHECK_INTERVAL_MINUTES): read,
   * found MISSING or OVERRIDDEN, subscribed again, failed, skipped while Meta throttles the WABA.
   */
  webhooks: Omit<WebhooksCheckRun, 'metaCalls'>;
  durationMs: number;
}

import type { Logger } from '@nestjs/common';

import { ChangeSource } from 'src/modules/audit/change-context';
import type { Actor } from 'src/modules/organizations/actor';
import type { WabaWebhooksService, WebhooksCheckRun } from 'src/modules/wabas/waba-webhooks.service';

import type { ConcurrencyLimiter } from './sync-round.limiter';

/**
 * Webhooks checks one instance makes at most per round. With the default interval (360 min) and rounds
 * every 15 min a round has 1/24 of the WABAs due (417 of 10,000); a backlog (after an outage) drains over
 * the next rounds instead of doubling one round's Graph calls.
 */
export const SYNC_ROUND_WEBHOOKS_CHECKS_LIMIT = 1000;

/** A round's webhooks checks when none ran (the phase failed before any). */
export const NO_WEBHOOKS_CHECKS: WebhooksCheckRun = {
  checked: 0,
  missing: 0,
  overridden: 0,
  resubscribed: 0,
  failed: 0,
  skipped: 0,
  metaCalls: 0,
};

/**
 * The round's last phase: the WABAs whose webhook subscription check is due by the round's `now` (each every
 * WEBHOOKS_CHECK_INTERVAL_MINUTES, so every few rounds; see WabaWebhooksService), read and repaired with the
 * round's Graph call slots and audited as SYNC by whoever asked for the round. A failure here never fails the
 * round: its claims run out and a later round checks those WABAs.
 */
export async function checkDueWebhooks(
  webhooks: WabaWebhooksService,
  now: Date,
  limiter: ConcurrencyLimiter,
  actor: Actor,
  logger: Logger,
): Promise<WebhooksCheckRun> {
  try {
    return await webhooks.runDueChecks(
      now,
      { source: ChangeSource.SYNC, actor },
      { limit: SYNC_ROUND_WEBHOOKS_CHECKS_LIMIT, slot: (call) => limiter.run(call) },
    );
  } catch (error) {
    logger.error(`Sync round: webhooks checks failed: ${error instanceof Error ? error.message : 'unexpected error'}`);
    return NO_WEBHOOKS_CHECKS;
  }
}

import { META_WEBHOOK_ACTOR } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';
import { ChangeSource, type ChangeContext, type ChangeFence } from 'src/modules/audit/change-context';

/** The stored delivery a change comes from, as the worker hands it to the handlers. */
export interface WebhookDelivery {
  /** When the delivery was stored (the inbox row's `createdAt`). */
  receivedAt: Date;
  /** Checks, inside a write's transaction, that the worker still holds the row's lease (throws if not). */
  fence: ChangeFence;
}

/**
 * The audit context of a webhook change: source WEBHOOK, actor meta-webhook, at the moment the delivery
 * was stored, fenced by the worker's lease on the row. Meta's `entry.time` has whole-second precision and
 * can lag by days on redelivery, so using it as the audit time would misorder the trail against API and
 * SYNC records of the same moment; it decides staleness instead (the per-field "as of" times of WABAs and
 * numbers) and stays in the stored payload.
 */
export function webhookContext(_change: RoutedChange, delivery: WebhookDelivery): ChangeContext {
  return {
    source: ChangeSource.WEBHOOK,
    actor: META_WEBHOOK_ACTOR,
    occurredAt: delivery.receivedAt,
    fence: delivery.fence,
  };
}

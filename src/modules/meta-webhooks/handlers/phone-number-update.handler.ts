import { Injectable } from '@nestjs/common';

import { PhoneNumberChangeOutcome } from 'src/modules/phone-numbers/phone-numbers.constants';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaSyncService } from 'src/modules/sync/waba-sync.service';

import { META_WEBHOOK_ACTOR, WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { type WebhookDelivery, webhookContext } from './webhook-change-context';

/** `phone_number_name_update.decision` → the number's `name_status` as Graph spells it. */
const NAME_DECISION_STATUS: Record<string, string> = {
  APPROVED: 'APPROVED',
  REJECTED: 'DECLINED',
  PENDING: 'PENDING_REVIEW',
  DEFERRED: 'PENDING_REVIEW',
};

/** Quality events that carry their result, applied without re-reading Meta. */
const QUALITY_EVENTS_WITHOUT_READ = new Set(['THROUGHPUT_UPGRADE', 'ONBOARDING']);

/** Whether a number's change may make its handler read Meta (a Graph call: never inside a transaction). */
export function phoneNumberUpdateReadsMeta(change: RoutedChange): boolean {
  return change.field === 'phone_number_quality_update' && !QUALITY_EVENTS_WITHOUT_READ.has(change.event ?? '');
}

/**
 * `phone_number_quality_update` and `phone_number_name_update` (§6.4, §6.5): the number is found in the
 * WABA of `entry.id` by the digits of `display_phone_number`, and changed through PhoneNumbersService's
 * named transitions, as of Meta's `entry.time`: a change older than what its fields show (the number's
 * per-fact "as of" times, set by webhooks and reads alike) is STALE.
 */
@Injectable()
export class PhoneNumberUpdateHandler {
  constructor(
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly sync: WabaSyncService,
  ) {}

  async handle(
    waba: { id: string; wabaId: string },
    change: RoutedChange,
    delivery: WebhookDelivery,
  ): Promise<WebhookChangeOutcome> {
    const display = typeof change.value.display_phone_number === 'string' ? change.value.display_phone_number : null;
    const phone = await this.phoneNumbers.findForWebhook(waba, change.phoneNumberId, display);
    if (!phone) {
      return WebhookChangeOutcome.UNKNOWN_PHONE_NUMBER;
    }
    return change.field === 'phone_number_name_update'
      ? this.applyName(phone.phoneNumberId, change, delivery)
      : this.applyQuality(waba, phone.phoneNumberId, change, delivery);
  }

  private async applyName(
    phoneNumberId: string,
    change: RoutedChange,
    delivery: WebhookDelivery,
  ): Promise<WebhookChangeOutcome> {
    const decision = typeof change.value.decision === 'string' ? change.value.decision : '';
    const nameStatus = NAME_DECISION_STATUS[decision];
    if (!nameStatus) {
      return WebhookChangeOutcome.MALFORMED;
    }
    const requested =
      typeof change.value.requested_verified_name === 'string' ? change.value.requested_verified_name : null;
    const outcome = await this.phoneNumbers.applyNameDecision(
      phoneNumberId,
      { nameStatus, verifiedName: decision === 'APPROVED' ? requested : null },
      observedAt(change, delivery),
      webhookContext(change, delivery),
    );
    return webhookOutcome(outcome);
  }

  /**
   * THROUGHPUT_UPGRADE carries its result (high throughput). The quality events (FLAGGED, UNFLAGGED,
   * UPGRADE, DOWNGRADE) say that the rating or limit changed without carrying the new rating, so the
   * numbers are re-read from Meta through the sync path: the new values come from that read, so they are
   * audited as SYNC, with the webhook as the actor that asked for it.
   */
  private async applyQuality(
    waba: { wabaId: string },
    phoneNumberId: string,
    change: RoutedChange,
    delivery: WebhookDelivery,
  ): Promise<WebhookChangeOutcome> {
    const context = webhookContext(change, delivery);
    if (change.event === 'THROUGHPUT_UPGRADE') {
      return webhookOutcome(
        await this.phoneNumbers.applyThroughputUpgrade(phoneNumberId, observedAt(change, delivery), context),
      );
    }
    if (change.event === 'ONBOARDING') {
      return WebhookChangeOutcome.IGNORED;
    }
    // No value to apply (nor to date the rating by): only older than a newer rating is it stale.
    const outcome = await this.phoneNumbers.recordQualityNotice(phoneNumberId, observedAt(change, delivery), context);
    if (outcome === PhoneNumberChangeOutcome.STALE) {
      return WebhookChangeOutcome.STALE;
    }
    await this.sync.syncInBackground(waba.wabaId, META_WEBHOOK_ACTOR, delivery.fence);
    return WebhookChangeOutcome.RESYNCED;
  }
}

/** Meta's time of the change, which decides staleness; the delivery's when Meta sent none. */
function observedAt(change: RoutedChange, delivery: WebhookDelivery): Date {
  return change.time ?? delivery.receivedAt;
}

/**
 * The inbox outcome of a number's transition. A number gone between the lookup and its row lock counts as
 * APPLIED, as it always has: there is nothing left to change, and nothing to retry.
 */
function webhookOutcome(outcome: PhoneNumberChangeOutcome): WebhookChangeOutcome {
  return outcome === PhoneNumberChangeOutcome.STALE ? WebhookChangeOutcome.STALE : WebhookChangeOutcome.APPLIED;
}

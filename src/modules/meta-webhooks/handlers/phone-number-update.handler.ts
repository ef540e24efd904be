import { Injectable } from '@nestjs/common';

import { isPhoneFactStale, observePhoneFact, type PhoneFact } from 'src/modules/phone-numbers/phone-number-snapshot';
import type { PhoneNumber } from 'src/modules/phone-numbers/phone-number.entity';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import type { Waba } from 'src/modules/wabas/waba.entity';

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

/**
 * `phone_number_quality_update` and `phone_number_name_update` (§6.4, §6.5): the number is found in the
 * WABA of `entry.id` by the digits of `display_phone_number`, and changed through
 * PhoneNumbersService.applyChange, as of Meta's `entry.time`: a change older than what its fields show (the
 * number's per-fact "as of" times, set by webhooks and reads alike) is STALE.
 */
@Injectable()
export class PhoneNumberUpdateHandler {
  constructor(
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly sync: WabaSyncService,
  ) {}

  async handle(waba: Waba, change: RoutedChange, delivery: WebhookDelivery): Promise<WebhookChangeOutcome> {
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
    return this.applyIfNewer(phoneNumberId, change, delivery, 'nameStatus', (phone) => {
      phone.nameStatus = nameStatus;
      if (decision === 'APPROVED' && requested) {
        phone.verifiedName = requested.slice(0, 512);
      }
    });
  }

  /**
   * THROUGHPUT_UPGRADE carries its result (high throughput). The quality events (FLAGGED, UNFLAGGED,
   * UPGRADE, DOWNGRADE) say that the rating or limit changed without carrying the new rating, so the
   * numbers are re-read from Meta through the sync path: the new values come from that read, so they are
   * audited as SYNC, with the webhook as the actor that asked for it.
   */
  private async applyQuality(
    waba: Waba,
    phoneNumberId: string,
    change: RoutedChange,
    delivery: WebhookDelivery,
  ): Promise<WebhookChangeOutcome> {
    if (change.event === 'THROUGHPUT_UPGRADE') {
      return this.applyIfNewer(phoneNumberId, change, delivery, 'throughput', (phone) => {
        phone.throughputLevel = 'HIGH';
      });
    }
    if (change.event === 'ONBOARDING') {
      return WebhookChangeOutcome.IGNORED;
    }
    // No value to apply (nor to date the rating by): only older than a newer rating is it stale.
    const outcome = await this.applyIfNewer(phoneNumberId, change, delivery, 'quality', null);
    if (outcome === WebhookChangeOutcome.STALE) {
      return outcome;
    }
    await this.sync.syncInBackground(waba.wabaId, META_WEBHOOK_ACTOR, delivery.fence);
    return WebhookChangeOutcome.RESYNCED;
  }

  /**
   * Applies `mutate` to the fact's fields as of the change's time unless the fact shows a newer report
   * (STALE); `mutate` null only checks that.
   */
  private async applyIfNewer(
    phoneNumberId: string,
    change: RoutedChange,
    delivery: WebhookDelivery,
    fact: PhoneFact,
    mutate: ((phone: PhoneNumber) => void) | null,
  ): Promise<WebhookChangeOutcome> {
    const observedAt = change.time ?? delivery.receivedAt;
    let outcome = WebhookChangeOutcome.APPLIED;
    await this.phoneNumbers.applyChange(phoneNumberId, webhookContext(change, delivery), (phone) => {
      const applied = mutate
        ? observePhoneFact(phone, fact, observedAt, () => mutate(phone))
        : !isPhoneFactStale(phone, fact, observedAt);
      if (!applied) {
        outcome = WebhookChangeOutcome.STALE;
        return false;
      }
      if (phone.lastWebhookAt === null || phone.lastWebhookAt.getTime() < observedAt.getTime()) {
        phone.lastWebhookAt = observedAt;
      }
      return true;
    });
    return outcome;
  }
}

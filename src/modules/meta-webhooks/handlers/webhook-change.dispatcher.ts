import { Injectable, Logger } from '@nestjs/common';

import { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import { WabaAccountStateService } from 'src/modules/wabas/waba-account-state.service';
import { WabasService } from 'src/modules/wabas/wabas.service';

import { META_WEBHOOK_ACTOR, WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { AccountAlertsHandler } from './account-alerts.handler';
import { AccountUpdateHandler, accountUpdateReadsMeta, webhookOutcomeOf } from './account-update.handler';
import { MESSAGE_FIELDS, MessageStatusHandler } from './message-status.handler';
import { PhoneNumberUpdateHandler, phoneNumberUpdateReadsMeta } from './phone-number-update.handler';
import { TEMPLATE_FIELDS, TemplateUpdateHandler } from './template-update.handler';
import { type WebhookDelivery, webhookContext } from './webhook-change-context';

const REVIEW_DECISIONS = new Set(['APPROVED', 'REJECTED', 'PENDING', 'DEFERRED']);

/**
 * Sends each routed change to what owns it. Changes about WABAs that are not connected to the platform,
 * and fields the service does not act on, are ignored (the delivery stays in the inbox). Must run inside
 * a MikroORM request context (the worker provides one per delivery).
 */
@Injectable()
export class WebhookChangeDispatcher {
  private readonly logger = new Logger(WebhookChangeDispatcher.name);

  constructor(
    private readonly wabas: WabasService,
    private readonly sync: WabaSyncService,
    private readonly accountState: WabaAccountStateService,
    private readonly accountUpdates: AccountUpdateHandler,
    private readonly phoneNumberUpdates: PhoneNumberUpdateHandler,
    private readonly templateUpdates: TemplateUpdateHandler,
    private readonly accountAlerts: AccountAlertsHandler,
    private readonly messageStatuses: MessageStatusHandler,
  ) {}

  /**
   * Runs `work` in one transaction (the caller's) with the WABAs these changes are about locked first, in
   * WABA-ID order, so that the owners' commands {@link dispatch} runs on them apply without locking again and
   * are written together at the commit (WabasService.inBatch). None of the changes may read Meta
   * ({@link readsMeta}).
   */
  async inBatch<T>(changes: readonly RoutedChange[], work: () => Promise<T>): Promise<T> {
    const wabaIds = new Set<string>();
    for (const change of changes) {
      if (change.wabaId && !MESSAGE_FIELDS.has(change.field)) {
        wabaIds.add(change.wabaId);
      }
    }
    return this.wabas.inBatch([...wabaIds], work);
  }

  /**
   * Whether {@link dispatch} may read Meta for this change (a re-read through the sync path): such a change
   * cannot be applied inside a batch's transaction, since no Graph call runs inside one.
   */
  readsMeta(change: RoutedChange): boolean {
    if (MESSAGE_FIELDS.has(change.field) || !change.wabaId) {
      return false;
    }
    switch (change.field) {
      case 'account_update':
        return accountUpdateReadsMeta(change);
      case 'phone_number_quality_update':
      case 'phone_number_name_update':
        return phoneNumberUpdateReadsMeta(change);
      case 'business_capability_update':
        return true;
      default:
        return false;
    }
  }

  async dispatch(change: RoutedChange, delivery: WebhookDelivery): Promise<WebhookChangeOutcome> {
    if (MESSAGE_FIELDS.has(change.field)) {
      // Statuses of marketing sends and users' marketing choices: the mm-lite module's, set-based.
      return this.messageStatuses.handle(change, delivery);
    }
    if (!change.wabaId) {
      return WebhookChangeOutcome.MALFORMED;
    }
    const waba = await this.wabas.findByWabaId(change.wabaId);
    if (!waba) {
      this.logger.debug(`Webhook ${change.field} ${change.event ?? ''} for unknown WABA ${change.wabaId} ignored`);
      return WebhookChangeOutcome.UNKNOWN_WABA;
    }
    if (TEMPLATE_FIELDS.has(change.field)) {
      return this.templateUpdates.handle(waba.wabaId, change, delivery);
    }
    switch (change.field) {
      case 'account_update':
        return this.accountUpdates.handle(waba.wabaId, change, delivery);
      case 'phone_number_quality_update':
      case 'phone_number_name_update':
        return this.phoneNumberUpdates.handle(waba, change, delivery);
      case 'account_review_update':
        return this.applyReview(waba.wabaId, change, delivery);
      case 'account_alerts':
        return this.accountAlerts.handle(waba, change, delivery);
      case 'business_capability_update':
        // Limits are not stored as such; the re-read picks up whatever they changed on the WABA and numbers.
        await this.sync.syncInBackground(waba.wabaId, META_WEBHOOK_ACTOR, delivery.fence);
        return WebhookChangeOutcome.RESYNCED;
      default:
        return WebhookChangeOutcome.IGNORED;
    }
  }

  /**
   * `account_review_update` (§6.6) as of Meta's `entry.time`: Graph's `account_review_status` has no
   * DEFERRED; it reads PENDING. A decision older than the one the WABA shows (from a webhook or a read)
   * is STALE.
   */
  private async applyReview(
    wabaId: string,
    change: RoutedChange,
    delivery: WebhookDelivery,
  ): Promise<WebhookChangeOutcome> {
    const decision = typeof change.value.decision === 'string' ? change.value.decision : '';
    if (!REVIEW_DECISIONS.has(decision)) {
      return WebhookChangeOutcome.MALFORMED;
    }
    const reviewStatus = decision === 'DEFERRED' ? 'PENDING' : decision;
    const observedAt = change.time ?? delivery.receivedAt;
    const context = webhookContext(change, delivery);
    return webhookOutcomeOf(await this.accountState.recordReviewDecision(wabaId, reviewStatus, observedAt, context));
  }
}

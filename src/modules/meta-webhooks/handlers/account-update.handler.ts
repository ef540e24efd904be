import { Injectable, Logger } from '@nestjs/common';

import { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import { WabaAccountStateService } from 'src/modules/wabas/waba-account-state.service';
import {
  ReconnectionEvidence,
  type ReportOutcome,
  WabaBanState,
  WabaDisconnection,
} from 'src/modules/wabas/wabas.constants';

import { WebhookChangeOutcome } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import type { RoutedChange } from 'src/modules/meta-webhooks/webhook-change.router';

import { type WebhookDelivery, webhookContext } from './webhook-change-context';
import type { ChangeContext } from 'src/modules/audit/change-context';

/** `account_update` events that take the WABA away from the platform (§6.3): DISABLED / DISCONNECTED. */
const DISCONNECTING_EVENTS = new Set<string>(Object.values(WabaDisconnection));
/** Events that show the WABA connected again, with what they can vouch for. */
const RECONNECTING_EVENTS: Record<string, ReconnectionEvidence> = {
  PARTNER_ADDED: ReconnectionEvidence.SHARED,
  PARTNER_APP_INSTALLED: ReconnectionEvidence.SHARED,
  ACCOUNT_RECONNECTED: ReconnectionEvidence.ACCOUNT_RECONNECTED,
};
/** Events after which Meta's MM Lite onboarding status must be read again rather than assumed (§5.4). */
const MM_LITE_REREAD_EVENTS = new Set(['MM_LITE_TERMS_SIGNED', 'AD_ACCOUNT_LINKED']);
const BAN_STATES = new Set<string>(Object.values(WabaBanState));

/** Whether an `account_update` change makes its handler read Meta (a Graph call: never inside a transaction). */
export function accountUpdateReadsMeta(change: RoutedChange): boolean {
  return MM_LITE_REREAD_EVENTS.has(change.event ?? '');
}

/**
 * What a webhook change came to, from what the WABA's owner made of its report: the values are shared
 * (APPLIED, STALE, IGNORED).
 */
export function webhookOutcomeOf(outcome: ReportOutcome): WebhookChangeOutcome {
  return WebhookChangeOutcome[outcome];
}

/**
 * Applies `account_update` (graph-api-reference.md §6.3) to a known WABA through the named commands of
 * {@link WabaAccountStateService}, which re-derive the status, audit and publish. Every event is a report of
 * one fact of the WABA as of Meta's `entry.time` (waba-facts.ts): one older than what the fact shows is
 * STALE and changes nothing.
 */
@Injectable()
export class AccountUpdateHandler {
  private readonly logger = new Logger(AccountUpdateHandler.name);

  constructor(
    private readonly accountState: WabaAccountStateService,
    private readonly sync: WabaSyncService,
  ) {}

  async handle(wabaId: string, change: RoutedChange, delivery: WebhookDelivery): Promise<WebhookChangeOutcome> {
    const context = webhookContext(change, delivery);
    // Meta's time of the event; a change without one counts as of its arrival.
    const at = change.time ?? delivery.receivedAt;
    const event = change.event ?? '';
    if (event === 'DISABLED_UPDATE') {
      return this.applyBanState(wabaId, change, context, at);
    }
    if (DISCONNECTING_EVENTS.has(event)) {
      return webhookOutcomeOf(
        await this.accountState.recordDisconnection(wabaId, event as WabaDisconnection, at, context),
      );
    }
    const evidence = RECONNECTING_EVENTS[event];
    if (evidence) {
      // e.g. PARTNER_ADDED while the WABA is offboarded is IGNORED: re-sharing does not undo an offboarding.
      return webhookOutcomeOf(await this.accountState.recordReconnection(wabaId, evidence, at, context));
    }
    if (event === 'ACCOUNT_RESTRICTION') {
      return this.applyRestriction(wabaId, change, context, at);
    }
    if (MM_LITE_REREAD_EVENTS.has(event)) {
      return this.rereadMmLite(wabaId, event, context, at);
    }
    if (event === 'PARTNER_APP_UNINSTALLED') {
      // The customer removed the app's permissions: the stored token is dead until a new signup.
      return webhookOutcomeOf(await this.accountState.recordAppUninstalled(wabaId, at, context));
    }
    if (event === 'BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE' && typeof change.value.country === 'string') {
      const country = change.value.country.slice(0, 8);
      return webhookOutcomeOf(await this.accountState.recordCountry(wabaId, country, at, context));
    }
    if (event === 'ACCOUNT_VIOLATION') {
      // A strike, not a status (§3.2): kept in the inbox row and logged for support.
      const info = change.value.violation_info as { violation_type?: unknown } | undefined;
      const violation = typeof info?.violation_type === 'string' ? info.violation_type.slice(0, 64) : 'UNKNOWN';
      this.logger.warn(`WABA ${wabaId} received ACCOUNT_VIOLATION ${violation}`);
      return WebhookChangeOutcome.IGNORED;
    }
    return WebhookChangeOutcome.IGNORED;
  }

  private async applyBanState(
    wabaId: string,
    change: RoutedChange,
    context: ChangeContext,
    at: Date,
  ): Promise<WebhookChangeOutcome> {
    const banInfo = change.value.ban_info as { waba_ban_state?: unknown; waba_ban_date?: unknown } | undefined;
    const state = banInfo?.waba_ban_state;
    if (typeof state !== 'string' || !BAN_STATES.has(state)) {
      return WebhookChangeOutcome.MALFORMED;
    }
    const banDate = typeof banInfo?.waba_ban_date === 'string' ? banInfo.waba_ban_date.slice(0, 64) : null;
    return webhookOutcomeOf(
      await this.accountState.applyBanState(wabaId, { state: state as WabaBanState, banDate }, at, context),
    );
  }

  private async applyRestriction(
    wabaId: string,
    change: RoutedChange,
    context: ChangeContext,
    at: Date,
  ): Promise<WebhookChangeOutcome> {
    const info = Array.isArray(change.value.restriction_info) ? change.value.restriction_info : null;
    if (!info) {
      return WebhookChangeOutcome.MALFORMED;
    }
    const restrictions = info.filter(
      (item): item is Record<string, unknown> => item !== null && typeof item === 'object' && !Array.isArray(item),
    );
    const expirations = restrictions
      .map((item) => Number(item.expiration))
      .filter((seconds) => Number.isFinite(seconds) && seconds > 0);
    const expiresAt = expirations.length > 0 ? new Date(Math.max(...expirations) * 1000) : null;
    // A notice replaces the previous one; one that already expired changes nothing visible (§2.3).
    return webhookOutcomeOf(
      await this.accountState.applyRestrictions(wabaId, { restrictions, expiresAt }, at, context),
    );
  }

  /**
   * MM_LITE_TERMS_SIGNED says the portfolio accepted the terms, not that the WABA is ONBOARDED (it may read
   * PENDING_* for a while): re-read Meta's status now (what the read finds is audited as SYNC, asked for by
   * the webhook). If Meta cannot be read, at least record the terms as signed from the payload (WEBHOOK;
   * the column becomes NOT_ONBOARDED), unless a newer reading says otherwise; the periodic re-sync brings
   * Meta's onboarding status once the WABA can be read (one whose token was rejected waits for a signup).
   */
  private async rereadMmLite(
    wabaId: string,
    event: string,
    context: ChangeContext,
    at: Date,
  ): Promise<WebhookChangeOutcome> {
    const result = await this.sync.syncInBackground(wabaId, context.actor, context.fence);
    if (result === 'SYNCED') {
      return WebhookChangeOutcome.RESYNCED;
    }
    this.logger.warn(`WABA ${wabaId}: ${event} but Meta could not be re-read now (${result}); terms recorded`);
    return webhookOutcomeOf(await this.accountState.recordTermsSigned(wabaId, at, context));
  }
}

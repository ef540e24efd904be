import { Injectable, Logger } from '@nestjs/common';

import { WabaSyncService } from 'src/modules/sync/waba-sync.service';
import { observeFact, type WabaFact } from 'src/modules/wabas/waba-facts';
import type { Waba } from 'src/modules/wabas/waba.entity';
import {
  META_TERMS_SIGNED,
  ReconnectionEvidence,
  ReconnectionOutcome,
  WabaBanState,
  WabaConnection,
  WabaDisconnection,
} from 'src/modules/wabas/wabas.constants';
import { WabasService } from 'src/modules/wabas/wabas.service';

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

/**
 * Applies `account_update` (graph-api-reference.md §6.3) to a known WABA through WabasService.applyChange,
 * which re-derives the status, audits and publishes. Every event is a report of one fact of the WABA as of
 * Meta's `entry.time` (waba-facts.ts): one older than what the fact shows is STALE and changes nothing.
 */
@Injectable()
export class AccountUpdateHandler {
  private readonly logger = new Logger(AccountUpdateHandler.name);

  constructor(
    private readonly wabas: WabasService,
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
      return this.observe(wabaId, context, 'disconnection', at, (waba) => {
        waba.disconnectedReason = event;
        waba.disconnectedAt = at;
      });
    }
    const evidence = RECONNECTING_EVENTS[event];
    if (evidence) {
      return this.reconnect(wabaId, context, at, evidence);
    }
    if (event === 'ACCOUNT_RESTRICTION') {
      return this.applyRestriction(wabaId, change, context, at);
    }
    if (MM_LITE_REREAD_EVENTS.has(event)) {
      return this.rereadMmLite(wabaId, event, context, at);
    }
    if (event === 'PARTNER_APP_UNINSTALLED') {
      // The customer removed the app's permissions: the stored token is dead until a new signup.
      return this.observe(wabaId, context, 'connection', at, (waba) => {
        waba.connection = WabaConnection.REAUTH_REQUIRED;
      });
    }
    if (event === 'BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE' && typeof change.value.country === 'string') {
      const country = change.value.country.slice(0, 8);
      return this.observe(wabaId, context, 'country', at, (waba) => {
        waba.country = country;
      });
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

  /** Applies a report of one fact unless a newer report of it is applied already. */
  private async observe(
    wabaId: string,
    context: ChangeContext,
    fact: WabaFact,
    at: Date,
    apply: (waba: Waba) => void,
  ): Promise<WebhookChangeOutcome> {
    let outcome = WebhookChangeOutcome.APPLIED;
    await this.wabas.applyChange(wabaId, context, (waba) => {
      if (!observeFact(waba, fact, at, () => apply(waba))) {
        outcome = WebhookChangeOutcome.STALE;
        return false;
      }
      return true;
    });
    return outcome;
  }

  private async reconnect(
    wabaId: string,
    context: ChangeContext,
    at: Date,
    evidence: ReconnectionEvidence,
  ): Promise<WebhookChangeOutcome> {
    let outcome = WebhookChangeOutcome.APPLIED;
    await this.wabas.applyChange(wabaId, context, (waba) => {
      const result = this.wabas.markReconnected(waba, at, evidence);
      switch (result) {
        case ReconnectionOutcome.APPLIED:
          return true;
        case ReconnectionOutcome.STALE:
          outcome = WebhookChangeOutcome.STALE;
          return false;
        case ReconnectionOutcome.NOT_APPLICABLE:
          // e.g. PARTNER_ADDED while the WABA is offboarded: re-sharing does not undo an offboarding.
          outcome = WebhookChangeOutcome.IGNORED;
          return false;
      }
    });
    return outcome;
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
    return this.observe(wabaId, context, 'banState', at, (waba) => {
      waba.banState = state as WabaBanState;
      waba.banDate = banDate;
    });
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
    return this.observe(wabaId, context, 'restrictions', at, (waba) => {
      waba.restrictions = restrictions;
      waba.restrictionExpiresAt = expiresAt;
    });
  }

  /**
   * MM_LITE_TERMS_SIGNED says the portfolio accepted the terms, not that the WABA is ONBOARDED (it may read
   * PENDING_* for a while): re-read Meta's status now (what the read finds is audited as SYNC, asked for by
   * the webhook). If Meta cannot be read, at least record the terms as signed from the payload (WEBHOOK;
   * the column becomes NOT_ONBOARDED), unless a newer reading says otherwise, and let the periodic re-sync
   * converge.
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
    let outcome = WebhookChangeOutcome.APPLIED;
    await this.wabas.applyChange(wabaId, context, (waba) => {
      if (waba.mmLiteTermsStatus === META_TERMS_SIGNED) {
        return false;
      }
      const applied = observeFact(waba, 'mmLiteTermsStatus', at, () => {
        waba.mmLiteTermsStatus = META_TERMS_SIGNED;
      });
      if (!applied) {
        outcome = WebhookChangeOutcome.STALE;
      }
      return applied;
    });
    return outcome;
  }
}

import { randomInt } from 'node:crypto';

import { accountAlertValue } from './account-alert.scenario';
import type { JsonObject, SimEventParams, SimEventType, SimPhoneNumber, SimWaba } from './meta-simulator.types';
import { SIM_DEFAULT_OVERRIDE_CALLBACK_URI } from './meta-simulator.constants';
import type { SimulatorStateStore } from './simulator-state.store';
import { applyTemplateEvent } from './template-event.applier';

/** What an event produced: webhook payloads to send, and which one answers the caller. */
export interface AppliedEvent {
  payloads: JsonObject[];
  /** Index of the payload about the WABA the event was applied to; -1 when nothing is sent. */
  primary: number;
}

/** Settings of {@link ScenarioEventApplier}. */
export interface ScenarioEventApplierConfig {
  appId: string;
  partnerBusinessId: string;
  now: () => Date;
  build: (field: string, value: JsonObject, entryId: string) => JsonObject;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const INACTIVE_MM_STATUS = 'INELIGIBLE_INACTIVE_OR_RESTRICTED';

/** Meta's limit on `override_callback_uri` (graph-api-2026.md §A.8). */
const OVERRIDE_URI_MAX_LENGTH = 200;

function overrideUri(value: unknown): string {
  if (value === undefined) {
    return SIM_DEFAULT_OVERRIDE_CALLBACK_URI;
  }
  if (typeof value !== 'string' || !/^https?:\/\/\S+$/.test(value) || value.length > OVERRIDE_URI_MAX_LENGTH) {
    throw new Error(`overrideCallbackUri must be an http(s) URL of at most ${OVERRIDE_URI_MAX_LENGTH} characters`);
  }
  return value;
}

function digits(value: string): string {
  return value.replace(/\D/g, '');
}

/**
 * Applies scenario events the way Meta would (graph-api-reference.md §3.2, §5.9, §7.2): changes the state
 * first, then returns the webhook payloads (shapes of fixtures/webhooks and fixtures/derived) to deliver.
 */
export class ScenarioEventApplier {
  /** MM status a WABA had before it became inactive/restricted, restored on REINSTATE. */
  private readonly mmBeforeInactive = new Map<string, string>();

  constructor(
    private readonly state: SimulatorStateStore,
    private readonly config: ScenarioEventApplierConfig,
  ) {}

  clear(): void {
    this.mmBeforeInactive.clear();
  }

  /** WABA id → MM status to restore on REINSTATE, as plain JSON for a snapshot. */
  exportState(): Record<string, string> {
    return Object.fromEntries(this.mmBeforeInactive);
  }

  /** Replaces what {@link exportState} returned. */
  importState(mmBeforeInactive: Record<string, string>): void {
    this.mmBeforeInactive.clear();
    for (const [wabaId, status] of Object.entries(mmBeforeInactive)) {
      this.mmBeforeInactive.set(wabaId, status);
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.config.now().getTime() / 1000);
  }

  /** "April 17, 2025" as in `ban_info.waba_ban_date`. */
  private banDate(): string {
    const now = this.config.now();
    return `${MONTH_NAMES[now.getUTCMonth()]} ${now.getUTCDate()}, ${now.getUTCFullYear()}`;
  }

  private accountUpdate(entryId: string, value: JsonObject): JsonObject {
    return this.config.build('account_update', value, entryId);
  }

  private wabaInfo(waba: SimWaba, extra: JsonObject = {}): JsonObject {
    return { waba_id: waba.id, owner_business_id: waba.businessId, ...extra };
  }

  private single(payload: JsonObject): AppliedEvent {
    return { payloads: [payload], primary: 0 };
  }

  private none(): AppliedEvent {
    return { payloads: [], primary: -1 };
  }

  private markInactive(waba: SimWaba): void {
    if (waba.marketingMessagesOnboardingStatus !== INACTIVE_MM_STATUS) {
      this.mmBeforeInactive.set(waba.id, waba.marketingMessagesOnboardingStatus);
      waba.marketingMessagesOnboardingStatus = INACTIVE_MM_STATUS;
    }
  }

  private phoneOf(waba: SimWaba, params: SimEventParams): SimPhoneNumber {
    const id = params.phoneNumberId ?? waba.phoneNumberIds[0];
    const phone = id === undefined ? undefined : this.state.phones.get(id);
    if (!phone || phone.wabaId !== waba.id) {
      throw new Error(`WABA ${waba.id} has no phone number ${params.phoneNumberId ?? ''}`.trim());
    }
    return phone;
  }

  apply(wabaId: string, type: SimEventType, params: SimEventParams = {}): AppliedEvent {
    const waba = this.state.requireWaba(wabaId);
    const business = this.state.businesses.get(waba.businessId);
    const partner = this.config.partnerBusinessId;
    switch (type) {
      case 'MM_LITE_TERMS_SIGNED':
        return this.termsSigned(waba, params.pendingStatus ?? 'PENDING_INTERNAL_SETUP');
      case 'MM_LITE_ONBOARDED': {
        const signed = business?.termsStatus?.status === 'TERM_OF_SERVICE_SIGNED';
        const applied = signed ? this.none() : this.termsSigned(waba, 'PENDING_INTERNAL_SETUP');
        waba.marketingMessagesOnboardingStatus = 'ONBOARDED';
        const adAccount = String(randomInt(100_000_000, 999_999_999)) + String(randomInt(100_000, 999_999));
        // The legacy onboarding-complete signal (§5.4); its entry.id is the partner's portfolio.
        applied.payloads.push(
          this.accountUpdate(partner, {
            event: 'AD_ACCOUNT_LINKED',
            waba_info: { owner_business_id: waba.businessId, ad_account_linked: adAccount, waba_id: waba.id },
          }),
        );
        applied.primary = applied.payloads.length - 1;
        return applied;
      }
      case 'MM_LITE_PENDING_PAYMENT_METHOD':
        waba.marketingMessagesOnboardingStatus = 'PENDING_VALID_PAYMENT_METHOD';
        return this.none();
      case 'MM_LITE_REQUEST_SENT':
        if (business) {
          business.termsStatus = { status: 'REQUEST_SENT', time: this.config.now().toISOString().slice(0, 10) };
        }
        return this.none();
      case 'DISABLE':
        waba.state = 'DISABLED';
        if (params.status !== undefined) {
          waba.status = params.status;
        }
        this.markInactive(waba);
        return this.single(this.banUpdate(waba, 'DISABLE'));
      case 'SCHEDULE_FOR_DISABLE':
        if (waba.state === 'ACTIVE') {
          waba.state = 'SCHEDULED_FOR_DISABLE';
        }
        return this.single(this.banUpdate(waba, 'SCHEDULE_FOR_DISABLE'));
      case 'REINSTATE':
        waba.state = 'ACTIVE';
        waba.status = 'ACTIVE';
        waba.restrictions = [];
        if (waba.marketingMessagesOnboardingStatus === INACTIVE_MM_STATUS) {
          waba.marketingMessagesOnboardingStatus = this.mmBeforeInactive.get(waba.id) ?? 'ELIGIBLE';
        }
        this.mmBeforeInactive.delete(waba.id);
        return this.single(this.banUpdate(waba, 'REINSTATE'));
      case 'ACCOUNT_RESTRICTION': {
        const expiration = this.nowSeconds() + (params.expiresInSeconds ?? 7 * 24 * 3600);
        const types = params.restrictionTypes ?? ['RESTRICTED_BIZ_INITIATED_MESSAGING'];
        waba.restrictions = types.map((restrictionType) => ({ restrictionType, expiration }));
        if (waba.state === 'ACTIVE' || waba.state === 'SCHEDULED_FOR_DISABLE') {
          waba.state = 'RESTRICTED';
        }
        this.markInactive(waba);
        return this.single(
          this.accountUpdate(waba.id, {
            event: 'ACCOUNT_RESTRICTION',
            restriction_info: types.map((restrictionType) => ({ restriction_type: restrictionType, expiration })),
          }),
        );
      }
      case 'ACCOUNT_VIOLATION':
        return this.single(
          this.accountUpdate(waba.id, {
            event: 'ACCOUNT_VIOLATION',
            violation_info: { violation_type: params.violationType ?? 'ADULT' },
          }),
        );
      case 'PARTNER_ADDED':
        waba.sharedWithPartner = true;
        return this.single(
          this.accountUpdate(partner, {
            event: 'PARTNER_ADDED',
            waba_info: this.wabaInfo(waba, { solution_partner_business_ids: [partner] }),
          }),
        );
      case 'PARTNER_REMOVED': {
        waba.sharedWithPartner = false;
        this.state.revokeEverywhere(waba.id);
        this.state.subscriptions.delete(waba.id);
        const value: JsonObject = { event: 'PARTNER_REMOVED', waba_info: this.wabaInfo(waba) };
        if (params.disconnectionReason) {
          value.disconnection_info = {
            reason: params.disconnectionReason,
            initiated_by: params.initiatedBy ?? 'SYSTEM',
          };
        }
        return this.single(this.accountUpdate(partner, value));
      }
      case 'PARTNER_APP_INSTALLED':
        waba.sharedWithPartner = true;
        return this.single(
          this.accountUpdate(partner, {
            event: 'PARTNER_APP_INSTALLED',
            waba_info: this.wabaInfo(waba, { partner_app_id: this.config.appId }),
          }),
        );
      case 'PARTNER_APP_UNINSTALLED':
        this.state.revokeEverywhere(waba.id);
        this.state.subscriptions.delete(waba.id);
        return this.single(
          this.accountUpdate(partner, {
            event: 'PARTNER_APP_UNINSTALLED',
            waba_info: this.wabaInfo(waba, { partner_app_id: this.config.appId }),
          }),
        );
      case 'ACCOUNT_DELETED':
        waba.state = 'DELETED';
        this.state.subscriptions.delete(waba.id);
        return this.single(this.accountUpdate(waba.id, { event: 'ACCOUNT_DELETED' }));
      case 'ACCOUNT_OFFBOARDED':
        return this.single(this.accountUpdate(waba.id, { event: 'ACCOUNT_OFFBOARDED' }));
      case 'ACCOUNT_RECONNECTED':
        return this.single(this.accountUpdate(waba.id, { event: 'ACCOUNT_RECONNECTED' }));
      case 'QUALITY_CHANGED': {
        const phone = this.phoneOf(waba, params);
        const cycle: Record<string, string> = { GREEN: 'YELLOW', YELLOW: 'RED', RED: 'GREEN' };
        phone.qualityRating = params.qualityRating ?? cycle[phone.qualityRating] ?? 'GREEN';
        // FLAGGED/UNFLAGGED are the legacy quality events (§6.4, UNCONFIRMED); newer payloads carry the tier.
        const event = params.qualityEvent ?? (phone.qualityRating === 'GREEN' ? 'UNFLAGGED' : 'FLAGGED');
        return this.single(this.qualityUpdate(waba, phone, event));
      }
      case 'THROUGHPUT_UPGRADE': {
        const phone = this.phoneOf(waba, params);
        phone.throughputLevel = 'HIGH';
        return this.single(this.qualityUpdate(waba, phone, 'THROUGHPUT_UPGRADE'));
      }
      case 'NAME_APPROVED':
      case 'NAME_REJECTED': {
        const phone = this.phoneOf(waba, params);
        const approved = type === 'NAME_APPROVED';
        const requested = phone.newDisplayName ?? phone.verifiedName;
        if (phone.newDisplayName !== null) {
          phone.newNameStatus = approved ? 'APPROVED' : 'DECLINED';
          if (approved) {
            phone.verifiedName = phone.newDisplayName;
            phone.newDisplayName = null;
            phone.newNameStatus = null;
          }
        } else {
          phone.nameStatus = approved ? 'APPROVED' : 'DECLINED';
        }
        return this.single(
          this.config.build(
            'phone_number_name_update',
            {
              display_phone_number: digits(phone.displayPhoneNumber),
              decision: approved ? 'APPROVED' : 'REJECTED',
              requested_verified_name: requested,
              rejection_reason: approved ? null : (params.rejectionReason ?? 'NAME_FORMAT_UNACCEPTABLE'),
            },
            waba.id,
          ),
        );
      }
      case 'ACCOUNT_REVIEW': {
        const decision = params.decision ?? 'APPROVED';
        waba.accountReviewStatus = decision === 'DEFERRED' ? 'PENDING' : decision;
        return this.single(this.config.build('account_review_update', { decision }, waba.id));
      }
      case 'CAPABILITY_UPDATE': {
        const limit = params.maxDailyConversationsPerBusiness ?? 'TIER_10K';
        if (typeof limit === 'string') {
          waba.messagingLimit = limit;
        }
        const value: JsonObject = { max_daily_conversations_per_business: limit };
        value.max_phone_numbers_per_waba = params.maxPhoneNumbersPerWaba ?? 25;
        return this.single(this.config.build('business_capability_update', value, waba.id));
      }
      case 'WEBHOOKS_UNSUBSCRIBED':
        // The customer removed the app in Business settings, or another tool sent DELETE subscribed_apps:
        // Meta sends no webhook for it (graph-api-2026.md §A.8); only a check of subscribed_apps sees it.
        this.state.subscriptions.delete(waba.id);
        return this.none();
      case 'WEBHOOKS_OVERRIDDEN':
        // Another tool posted subscribed_apps with an override_callback_uri (no webhook either): the WABA's
        // deliveries go there from now on, except the app-level fields (webhook-routing.ts).
        this.state.subscriptions.set(waba.id, { overrideCallbackUri: overrideUri(params.overrideCallbackUri) });
        return this.none();
      case 'TEMPLATE_APPROVED':
      case 'TEMPLATE_REJECTED':
      case 'TEMPLATE_PAUSED':
      case 'TEMPLATE_DISABLED':
      case 'TEMPLATE_CATEGORY_PENDING':
      case 'TEMPLATE_CATEGORY_CHANGED':
      case 'TEMPLATE_QUALITY_CHANGED':
      case 'TEMPLATE_COMPONENTS_CHANGED': {
        const { field, value } = applyTemplateEvent(waba, type, params, this.nowSeconds(), (template) =>
          this.state.addTemplate(waba.id, template),
        );
        return this.single(this.config.build(field, value, waba.id));
      }
      case 'ACCOUNT_ALERT':
        return this.single(this.config.build('account_alerts', accountAlertValue(this.state, waba, params), waba.id));
      default: {
        const unknown: never = type;
        throw new Error(`Unknown event type ${String(unknown)}`);
      }
    }
  }

  /** ToS accepted for the portfolio: every WABA of it moves on and gets its own webhook (§5.4, §5.9). */
  private termsSigned(waba: SimWaba, pendingStatus: string): AppliedEvent {
    const business = this.state.businesses.get(waba.businessId);
    const siblings = business ? business.wabaIds : [waba.id];
    if (business) {
      business.termsStatus = { status: 'TERM_OF_SERVICE_SIGNED', time: this.config.now().toISOString().slice(0, 10) };
      business.mmRequestId = null;
    }
    const payloads: JsonObject[] = [];
    let primary = -1;
    for (const id of siblings) {
      const sibling = this.state.wabas.get(id);
      if (!sibling || sibling.state === 'DELETED') {
        continue;
      }
      const status = sibling.marketingMessagesOnboardingStatus;
      if (status !== 'ONBOARDED' && !status.startsWith('INELIGIBLE')) {
        sibling.marketingMessagesOnboardingStatus = pendingStatus;
      }
      if (sibling.id === waba.id) {
        primary = payloads.length;
      }
      payloads.push(
        this.accountUpdate(this.config.partnerBusinessId, {
          event: 'MM_LITE_TERMS_SIGNED',
          waba_info: { owner_business_id: sibling.businessId, waba_id: sibling.id },
        }),
      );
    }
    return { payloads, primary };
  }

  private banUpdate(waba: SimWaba, banState: string): JsonObject {
    return this.accountUpdate(waba.id, {
      event: 'DISABLED_UPDATE',
      ban_info: { waba_ban_state: banState, waba_ban_date: this.banDate() },
    });
  }

  private qualityUpdate(waba: SimWaba, phone: SimPhoneNumber, event: string): JsonObject {
    return this.config.build(
      'phone_number_quality_update',
      {
        display_phone_number: digits(phone.displayPhoneNumber),
        event,
        max_daily_conversations_per_business: waba.messagingLimit,
      },
      waba.id,
    );
  }
}

import type { SIM_RECIPIENT_OUTCOMES } from './meta-simulator.constants';

/**
 * Public types of the Meta simulator. Field names are camelCase here; the Graph API surface renders them
 * in Meta's snake_case (graph-api-reference.md §3.1, §4.3).
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Options of {@link MetaSimulator}. */
export interface MetaSimulatorOptions {
  /** Meta app id; `client_id` of the code exchange and the `APP_ID|APP_SECRET` app token. */
  appId: string;
  /** App secret; `client_secret` of the code exchange and the webhook signing key. */
  appSecret: string;
  /** A system-user token that can read every object (partner's own token). */
  systemUserToken?: string;
  /** Latency added to every Graph call, in milliseconds. */
  latencyMs?: number;
  /** Callback URL that receives the signed webhooks. */
  webhookUrl?: string;
  /** Business-use-case calls per WABA per hour before code 80008. Default 5000 (active WABAs, §1.6). */
  bucCallBudget?: number;
  /** Lifetime of Embedded Signup codes in seconds. Default 30 (§2.2). */
  codeTtlSeconds?: number;
  /** Clock, injectable for tests. */
  now?: () => Date;
  /** App name shown by debug_token and subscribed_apps. */
  appName?: string;
  /** The solution partner's business portfolio id: `entry[].id` of partner-facing webhooks (§6.3). */
  partnerBusinessId?: string;
  /** Version assumed (and echoed in `facebook-api-version`) when a path carries none. Default v25.0. */
  defaultVersion?: string;
  /** Per-number messages per second before 130429 at throughput level STANDARD. Default 80 (§1.5). */
  throughputMps?: number;
  /**
   * Which `messages` status webhooks sends produce: `failed` (default) only the asynchronous failures
   * (131049, 131050, 131026, 130472), `all` the whole lifecycle (`sent`, `delivered`, `read`), `none` nothing.
   */
  statusWebhooks?: StatusWebhookMode;
  /** When each status of a send is delivered, from its acceptance. Default 0 for all (tests). */
  statusDelaysMs?: Partial<StatusDelaysMs>;
  /** Request-log capacity; the oldest entries are dropped beyond it. Default 50,000. */
  maxLoggedRequests?: number;
  /**
   * Called synchronously after anything that {@link MetaSimulator.exportState} covers may have changed
   * (programmatic/control API mutations, scenario events, every non-GET Graph call). Used by sandbox mode
   * to persist the state; must not throw.
   */
  onStateChange?: () => void;
}

/** Internal lifecycle of a WABA from which `status`, `health_status`, send errors and webhooks derive (§3.2). */
export type WabaLifecycleState = 'ACTIVE' | 'RESTRICTED' | 'SCHEDULED_FOR_DISABLE' | 'DISABLED' | 'DELETED';

/** Business-portfolio MM Lite terms status (§5.2). */
export type BusinessTermsStatus = 'TERM_OF_SERVICE_SIGNED' | 'REQUEST_SENT' | 'NOT_STARTED';

/** A business portfolio. */
export interface SimBusiness {
  id: string;
  name: string;
  /** `marketing_messages_onboarding_status` of the business node; null when Meta has none. */
  termsStatus: { status: BusinessTermsStatus; time: string } | null;
  /** WABAs owned by the business, oldest first. */
  wabaIds: string[];
  /** Pending Intent API request (`onboard_partners_to_mm_lite`), if any. */
  mmRequestId: string | null;
}

/** A template's max price as Meta reads it back (`GET /{TEMPLATE_ID}?fields=optimization_spec`). */
export interface SimOptimizationSpec {
  /** The only accepted strategy. */
  bid_strategy: 'LOWEST_COST_WITH_BID_CAP';
  /** Most per 1,000 deliveries, in the smallest unit of the WABA's currency (`5000` = USD 0.05 each). */
  bid_amount: number;
}

/**
 * A message template of a WABA (graph-api-2026.md §A.1): what sends care about (category, review status,
 * ad-account sync) and what `GET /{waba}/message_templates` lists. One per name and language in its WABA, as at Meta.
 */
export interface SimTemplate {
  name: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED' | 'ARCHIVED' | 'PENDING_DELETION' | 'DELETED';
  /** Meta's template ID: digits, under 2^53 here (webhooks carry it as a JSON number). */
  id: string;
  /** Language code as the API spells it (`en_US`). */
  language: string;
  /** The category before Meta's last change; null when it never changed. */
  previousCategory: string | null;
  /** The category an announced (impending) change will move it to; null when none is pending. */
  correctCategory: string | null;
  /** `rejected_reason` (`NONE` unless rejected). */
  rejectedReason: string;
  /** `quality_score.score`. */
  qualityScore: 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';
  /** Low-quality pauses so far (3rd → DISABLED, §A.1.3). */
  pauses: number;
  /** The BODY component's text. */
  bodyText: string;
  /** Unix seconds when the template finished syncing to the linked ad account; later than now → 134101. */
  syncedAt: number;
  /**
   * The template's max price (`optimization_spec`, which replaced `bid_spec` on templates on 2026-06-18;
   * graph-api-2026 §A.4.2), or null for the published rate card. A template with one cannot go to Cloud API
   * `/messages` (131061) nor to a BSUID (131062).
   */
  optimizationSpec: SimOptimizationSpec | null;
}

/** A WhatsApp Business Account. */
export interface SimWaba {
  id: string;
  businessId: string;
  name: string;
  currency: string;
  timezoneId: string;
  messageTemplateNamespace: string;
  country: string;
  /** Unix seconds. */
  creationTime: number;
  /** Meta's `status` field; only `ACTIVE` is documented (§9.1). */
  status: string;
  accountReviewStatus: string;
  businessVerificationStatus: string;
  ownershipType: string;
  primaryBusinessLocation: string | null;
  primaryFundingId: string | null;
  purchaseOrderNumber: string | null;
  isEnabledForInsights: boolean;
  isSharedWithPartners: boolean;
  templateAutoArchivalEnabled: boolean;
  /** `whatsapp_business_manager_messaging_limit`. */
  messagingLimit: string;
  marketingMessagesOnboardingStatus: string;
  disableMarketingMessagesOnCloudApi: boolean;
  authInternationalRateEligibility: JsonObject | null;
  state: WabaLifecycleState;
  /** Active `ACCOUNT_RESTRICTION` entries; `expiration` in unix seconds. */
  restrictions: Array<{ restrictionType: string; expiration: number }>;
  /** False once the customer unshared it from the partner (PARTNER_REMOVED): business tokens lose access. */
  sharedWithPartner: boolean;
  /** When set, `health_status` is answered verbatim with this object instead of being derived. */
  healthStatusOverride: JsonObject | null;
  /**
   * Templates keyed by name and language (`sim-templates.ts`). A name listed in other languages only answers
   * 132001, as Meta does; a name not listed at all is sent as an approved, synced MARKETING template (most
   * tests name none).
   */
  templates: Record<string, SimTemplate>;
  /** Numbers of the WABA, oldest onboarding first. */
  phoneNumberIds: string[];
}

/** A business phone number. */
export interface SimPhoneNumber {
  id: string;
  wabaId: string;
  displayPhoneNumber: string;
  verifiedName: string;
  qualityRating: string;
  codeVerificationStatus: string;
  status: string;
  nameStatus: string;
  newNameStatus: string | null;
  newDisplayName: string | null;
  platformType: string;
  accountMode: string;
  throughputLevel: string;
  messagingLimitTier: string;
  isOfficialBusinessAccount: boolean;
  isOnBizApp: boolean;
  /** Two-step verification PIN set by the first registration. */
  pin: string | null;
  /** Unix seconds. */
  lastOnboardedTime: number;
  searchVisibility: string;
  webhookOverrideUri: string | null;
  healthStatusOverride: JsonObject | null;
}

/** Input of {@link MetaSimulator.createWaba}; every field but the business is optional. */
export type CreateWabaInput = Partial<Omit<SimWaba, 'phoneNumberIds' | 'templates' | 'businessId'>> & {
  businessId?: string;
  businessName?: string;
  templates?: Array<Partial<SimTemplate> & { name: string }>;
  /** Subscribe the app to the WABA's webhooks right away (as after onboarding). Default false. */
  subscribed?: boolean;
};

/** Patch of {@link MetaSimulator.updateWaba}. */
export type UpdateWabaInput = Partial<Omit<SimWaba, 'id' | 'phoneNumberIds' | 'templates' | 'businessId'>> & {
  templates?: Array<Partial<SimTemplate> & { name: string }>;
};

/** Input of {@link MetaSimulator.createPhoneNumber}. */
export type CreatePhoneNumberInput = Partial<Omit<SimPhoneNumber, 'wabaId'>> & { wabaId: string };

/** Patch of {@link MetaSimulator.updatePhoneNumber}. */
export type UpdatePhoneNumberInput = Partial<Omit<SimPhoneNumber, 'id' | 'wabaId'>>;

/** Kind of a token as the request log reports it. */
export type SimTokenKind = 'business' | 'system_user' | 'app' | 'none' | 'unknown';

/** Input of {@link MetaSimulator.issueToken}. */
export interface IssueTokenInput {
  /** WABAs granted, newest first (debug_token `target_ids` order). */
  wabaIds: string[];
  businessId?: string;
  /** Lifetime; null or absent = never expires (`expires_at: 0`). */
  expiresInSeconds?: number | null;
  kind?: 'business' | 'system_user';
}

/** Input of {@link MetaSimulator.createSignupSession}. */
export interface CreateSignupSessionInput {
  businessId?: string;
  businessName?: string;
  wabaName?: string;
  displayPhoneNumber?: string;
  /** Add the new number to this WABA (and grant it) instead of creating a WABA. */
  existingWabaId?: string;
  /** Lifetime of the business token the code exchanges to. Default 60 days; null = never. */
  tokenExpiresInSeconds?: number | null;
  /** Send PARTNER_ADDED and PARTNER_APP_INSTALLED webhooks as Meta does when the flow finishes. */
  emitWebhooks?: boolean;
  /** Templates the new WABA has besides the seeded samples (ignored with `existingWabaId`). */
  templates?: Array<Partial<SimTemplate> & { name: string }>;
}

/** What the Embedded Signup popup hands to the browser (§2.3, §2.4). */
export interface SignupSession {
  code: string;
  wabaId: string;
  phoneNumberId: string;
  businessId: string;
}

/** Kinds of injectable faults. */
export type FaultKind =
  | 'http500'
  | 'http503'
  | 'partial'
  | 'hang'
  | 'throttle'
  | 'app_throttle'
  | 'waba_throttle'
  | 'expired_token'
  | 'invalid_token'
  | 'malformed'
  | 'oversized'
  | 'transient'
  | 'meta_error'
  | 'accept_then_hang'
  | 'accept_then_reset'
  | 'accept_then_malformed';

/** An explicit Graph error to answer with (`meta_error`, or to override `transient`). */
export interface FaultError {
  code: number;
  subcode?: number;
  httpStatus?: number;
  message?: string;
  /** `error_data.details` (WhatsApp errors). */
  details?: string;
  type?: string;
  isTransient?: boolean;
}

/** A fault-injection rule. */
export interface FaultRule {
  /** HTTP method to match (any when absent). */
  method?: string;
  /**
   * Matched against the request path without the version prefix: empty or `*` matches everything, a
   * pattern with `*` is a glob over the whole path, anything else a substring.
   */
  path: string;
  kind: FaultKind;
  /** How many requests to hit; unlimited when absent. */
  times?: number;
  /** Graph fields a `partial` answer leaves out (the 200 is otherwise the normal answer). */
  omitFields?: string[];
  /** Graph fields a `partial` answer sends as JSON `null`. */
  nullFields?: string[];
  error?: FaultError;
  /** `estimated_time_to_regain_access` of `throttle`, in minutes. Default 5. */
  regainMinutes?: number;
  /** Entries of the `oversized` answer. Default 200,000 (about 12 MB). */
  items?: number;
}

/**
 * A message Meta accepted (`/messages` or `/marketing_messages` answered, or would have answered, with its
 * id), including those whose answer an `accept_then_*` fault lost: what the recipient may receive.
 */
export interface SimSentMessage {
  /** The `wamid` Meta assigned. */
  id: string;
  phoneNumberId: string;
  wabaId: string;
  endpoint: 'messages' | 'marketing_messages';
  /** `to` as sent, or the BSUID `recipient`. */
  to: string;
  /** Template name, or null for a non-template message. */
  template: string | null;
  /** Billing category (`marketing`, `marketing_lite`, `utility`…, `service`). */
  category: string;
  at: string;
}

/** One Graph call as received (secrets redacted). */
export interface SimRequestLogEntry {
  method: string;
  /** Path without the version prefix, e.g. `/102290129340398/phone_numbers`. */
  path: string;
  /** Version prefix as sent (`v25.0`), or null without one. */
  version: string | null;
  query: Record<string, string>;
  body: JsonValue | null;
  tokenKind: SimTokenKind;
  /** Opaque stable id of the token (never the token). */
  tokenId?: string;
  /** IDs of a multi-ID call. */
  ids?: string[];
  status: number;
  /** ISO timestamp. */
  at: string;
}

/** Scenario events of {@link MetaSimulator.applyEvent}. */
export type SimEventType =
  | 'MM_LITE_TERMS_SIGNED'
  | 'MM_LITE_ONBOARDED'
  | 'MM_LITE_PENDING_PAYMENT_METHOD'
  | 'MM_LITE_REQUEST_SENT'
  | 'DISABLE'
  | 'SCHEDULE_FOR_DISABLE'
  | 'REINSTATE'
  | 'QUALITY_CHANGED'
  | 'THROUGHPUT_UPGRADE'
  | 'ACCOUNT_RESTRICTION'
  | 'ACCOUNT_VIOLATION'
  | 'PARTNER_ADDED'
  | 'PARTNER_REMOVED'
  | 'PARTNER_APP_INSTALLED'
  | 'PARTNER_APP_UNINSTALLED'
  | 'ACCOUNT_DELETED'
  | 'ACCOUNT_OFFBOARDED'
  | 'ACCOUNT_RECONNECTED'
  | 'NAME_APPROVED'
  | 'NAME_REJECTED'
  | 'ACCOUNT_REVIEW'
  | 'CAPABILITY_UPDATE'
  | 'WEBHOOKS_UNSUBSCRIBED'
  | 'WEBHOOKS_OVERRIDDEN'
  | 'TEMPLATE_APPROVED'
  | 'TEMPLATE_REJECTED'
  | 'TEMPLATE_PAUSED'
  | 'TEMPLATE_DISABLED'
  | 'TEMPLATE_CATEGORY_PENDING'
  | 'TEMPLATE_CATEGORY_CHANGED'
  | 'TEMPLATE_QUALITY_CHANGED'
  | 'TEMPLATE_COMPONENTS_CHANGED'
  | 'ACCOUNT_ALERT';

/** Optional parameters of an event; which ones apply depends on the event (see README). */
export interface SimEventParams {
  phoneNumberId?: string;
  qualityRating?: string;
  /** phone_number_quality_update `event` override (e.g. FLAGGED, DOWNGRADE). */
  qualityEvent?: string;
  /** DISABLE: value to put in the WABA `status` field (unchanged when absent, §7.2-8). */
  status?: string;
  restrictionTypes?: string[];
  /** ACCOUNT_RESTRICTION: seconds until the restriction expires. Default 7 days. */
  expiresInSeconds?: number;
  violationType?: string;
  /** ACCOUNT_REVIEW decision; NAME_REJECTED rejection reason. */
  decision?: string;
  rejectionReason?: string;
  /** MM_LITE_TERMS_SIGNED: status the WABAs move to. Default PENDING_INTERNAL_SETUP. */
  pendingStatus?: string;
  /** PARTNER_REMOVED: coexistence `disconnection_info`. */
  disconnectionReason?: string;
  initiatedBy?: string;
  maxDailyConversationsPerBusiness?: string | number;
  maxPhoneNumbersPerWaba?: number;
  /** WEBHOOKS_OVERRIDDEN: where the WABA's webhooks go instead. Default `https://alternate-callback.example/webhook`. */
  overrideCallbackUri?: string;
  /** TEMPLATE_*: the template's name (default: the WABA's first; an approval of an unknown name creates it). */
  templateName?: string;
  /** TEMPLATE_*: with `templateName`, which language of it (default: its first); a new template's language. */
  language?: string;
  /** TEMPLATE_CATEGORY_*: the category to move to (default: the pending one, else the other of MARKETING/UTILITY). */
  category?: string;
  /** TEMPLATE_QUALITY_CHANGED: GREEN, YELLOW, RED or UNKNOWN (default: the next of GREEN → YELLOW → RED). */
  qualityScore?: string;
  /** TEMPLATE_COMPONENTS_CHANGED: the new body text. */
  bodyText?: string;
  /** ACCOUNT_ALERT: `alert_type` (default INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED) and overrides of its defaults. */
  alertType?: string;
  alertSeverity?: string;
  alertStatus?: string;
  alertDescription?: string;
  /** Skip the webhook (state change only). */
  silent?: boolean;
}

/** A webhook POST as sent. */
export interface WebhookDelivery {
  url: string;
  body: string;
  signature: string;
  /** HTTP status of the callback; 0 when it could not be reached. */
  status: number;
  /**
   * For a webhook Meta made itself: sent to the app's callback, to an override (`url` is the override), or
   * not sent because the app is not subscribed to the WABA (`url` empty, status 0).
   */
  route?: 'app' | 'override' | 'none';
}

/** Options of {@link MetaSimulator.sendWebhook}. */
export interface SendWebhookOptions {
  /** Header value to send instead of the correct signature (bad-signature scenarios). */
  signature?: string;
  /**
   * Route it as Meta routes the webhooks it makes (overrides, no subscription: webhook-routing.ts) instead of
   * straight to the configured URL. Ignored with `url`.
   */
  routed?: boolean;
  /** Deliver to this URL instead of the configured one. */
  url?: string;
  /** Attempts until a 2xx answer (Meta retries failed deliveries). Default 1. */
  attempts?: number;
  retryDelayMs?: number;
}

/**
 * How a recipient's sends end (status webhooks, §5.7, §6.8). Failures: `per_user_limit` (131049),
 * `opted_out` (131050) and `experiment` (130472) for marketing templates, `undeliverable` (131026) for any
 * message. Otherwise the lifecycle: `read` (the default: sent, delivered, read), `delivered` (never read),
 * and two out-of-order ones: `read_before_delivered` (sent, read, delivered) and `sent_last` (delivered,
 * read, sent).
 */
export type RecipientOutcome = (typeof SIM_RECIPIENT_OUTCOMES)[number];

/** Which `messages` status webhooks sends produce (see {@link MetaSimulatorOptions.statusWebhooks}). */
export type StatusWebhookMode = 'all' | 'failed' | 'none';

/** Milliseconds from a send's acceptance to each of its statuses (a failure comes at the `sent` time). */
export interface StatusDelaysMs {
  sent: number;
  delivered: number;
  read: number;
}

/** What the simulator does with status webhooks now; the simulator's setter changes it at runtime. */
export interface StatusWebhookSettings {
  mode: StatusWebhookMode;
  delaysMs: StatusDelaysMs;
}

/** A user's marketing-message preference (`user_preferences` webhook: `stop` or `resume`). */
export type MarketingPreference = 'stop' | 'resume';

/** Snapshot of a WABA with its numbers and counters, for `GET /_sim/state/wabas/:id`. */
export interface SimWabaState {
  waba: SimWaba;
  business: SimBusiness | null;
  phoneNumbers: SimPhoneNumber[];
  subscribedApps: Array<{ appId: string; overrideCallbackUri: string | null }>;
  bucCallCount: number;
}

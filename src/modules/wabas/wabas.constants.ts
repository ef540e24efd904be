/** Account status shown in the list (product-spec §2.3). */
export enum WabaStatus {
  ACTIVE = 'ACTIVE',
  DISABLED = 'DISABLED',
}

/** Why the status is what it is (null when plainly ACTIVE). */
export enum WabaStatusReason {
  BANNED = 'BANNED',
  SCHEDULED_FOR_DISABLE = 'SCHEDULED_FOR_DISABLE',
  DISCONNECTED = 'DISCONNECTED',
  BLOCKED = 'BLOCKED',
  RESTRICTED = 'RESTRICTED',
}

/** The MM Lite column (product-spec §2.4); null is the dash. */
export enum MmLiteStatus {
  ONBOARDED = 'ONBOARDED',
  NOT_ONBOARDED = 'NOT_ONBOARDED',
}

/** Whether the stored business token still works. */
export enum WabaConnection {
  CONNECTED = 'CONNECTED',
  REAUTH_REQUIRED = 'REAUTH_REQUIRED',
}

/** `account_update` events that take a WABA away from the platform (`disconnectedReason`). */
export enum WabaDisconnection {
  ACCOUNT_DELETED = 'ACCOUNT_DELETED',
  /** Unshared from the partner. */
  PARTNER_REMOVED = 'PARTNER_REMOVED',
  /** Coexistence number moved off the API (device change, re-registration). */
  ACCOUNT_OFFBOARDED = 'ACCOUNT_OFFBOARDED',
}

/** What shows that a disconnected WABA is back; each undoes the disconnections it can vouch for. */
export enum ReconnectionEvidence {
  /** A successful Embedded Signup of the WABA: undoes every disconnection. */
  SIGNUP = 'SIGNUP',
  /**
   * `PARTNER_ADDED` / `PARTNER_APP_INSTALLED`, or a read of the WABA that finds it (so shared with the
   * platform) and ACTIVE: undoes unsharing and deletion, not an offboarding, which a read cannot see.
   */
  SHARED = 'SHARED',
  /** `ACCOUNT_RECONNECTED`: undoes an offboarding only. */
  ACCOUNT_RECONNECTED = 'ACCOUNT_RECONNECTED',
}

/** Result of a reconnection report ({@link ReconnectionEvidence}). */
export enum ReconnectionOutcome {
  /** Applied: the disconnection is cleared (or there was none, and the report's time is recorded). */
  APPLIED = 'APPLIED',
  /** Older than the disconnection state the WABA shows. */
  STALE = 'STALE',
  /** The WABA is disconnected for a reason this evidence cannot vouch for. */
  NOT_APPLICABLE = 'NOT_APPLICABLE',
}

/** Ban states of the `DISABLED_UPDATE` webhook. */
export enum WabaBanState {
  DISABLE = 'DISABLE',
  SCHEDULE_FOR_DISABLE = 'SCHEDULE_FOR_DISABLE',
  REINSTATE = 'REINSTATE',
}

/** State of the app's webhook subscription to the WABA (`POST /{waba}/subscribed_apps`). */
export enum WebhookSubscriptionStatus {
  PENDING = 'PENDING',
  SUBSCRIBED = 'SUBSCRIBED',
  FAILED = 'FAILED',
}

/**
 * Whether Meta delivers the WABA's webhooks to this service, as the last check of `GET /{waba}/subscribed_apps`
 * found it (graph-api-2026.md §A.8); null until a check or a subscription says.
 */
export enum WebhooksStatus {
  /** Our app is subscribed, with no override or with one pointing at our own callback. */
  SUBSCRIBED = 'SUBSCRIBED',
  /** Our app is not among the WABA's subscribed apps: Meta sends its message webhooks nowhere we see. */
  MISSING = 'MISSING',
  /** Our app is subscribed, but an `override_callback_uri` elsewhere receives the WABA's webhooks. */
  OVERRIDDEN = 'OVERRIDDEN',
}

/**
 * Meta's MM Lite values (graph-api-reference.md §5.2) that the column mapping, the panel and the webhooks
 * read: `marketing_messages_onboarding_status` of the WABA and the portfolio's terms status.
 */
export const META_MM_LITE_ONBOARDED = 'ONBOARDED';
export const META_MM_LITE_PENDING_PREFIX = 'PENDING_';
export const META_MM_LITE_PENDING_PAYMENT_METHOD = 'PENDING_VALID_PAYMENT_METHOD';
export const META_MM_LITE_PENDING_INTERNAL_SETUP = 'PENDING_INTERNAL_SETUP';
export const META_TERMS_SIGNED = 'TERM_OF_SERVICE_SIGNED';
export const META_TERMS_REQUEST_SENT = 'REQUEST_SENT';

/** Prefix of the reason when Meta's own `status` field is not ACTIVE. */
export const META_STATUS_REASON_PREFIX = 'META_STATUS_';

/** What became of a report of a WABA's fact (a webhook, the review decision, the terms): see waba-facts.ts. */
export enum ReportOutcome {
  APPLIED = 'APPLIED',
  /** Older than what the fact already shows: nothing changed. */
  STALE = 'STALE',
  /** Not applicable to the WABA as it stands (e.g. re-sharing does not undo an offboarding). */
  IGNORED = 'IGNORED',
}

/** Consecutive failures after which a WABA's re-sync waits the maximum back-off. */
export const META_SYNC_MAX_BACKOFF_MINUTES = 24 * 60;
/** First back-off after a failed sync; doubles with each consecutive failure. */
export const META_SYNC_BASE_BACKOFF_MINUTES = 1;

/**
 * How long the retry job holds a claimed webhook subscription before another instance may take it: longer
 * than the Graph call with its retries, so that only a dead instance's claim comes back.
 */
export const WEBHOOK_SUBSCRIPTION_LEASE_MS = 60_000;

/** First retry delay of a failed webhook subscription; doubles each attempt (as the number's registration). */
export const SUBSCRIPTION_RETRY_BASE_MS = 30_000;

/**
 * WABAs one round claims at once for a webhooks check; each is then one `GET /{waba}/subscribed_apps` with its
 * own token, at most the round's call concurrency at a time.
 */
export const WEBHOOKS_CHECK_CLAIM_BATCH_SIZE = 50;

/**
 * How long a claimed webhooks check holds the WABA before another instance may check it: longer than the
 * read and a repair with their retries, so that only a dead instance's claim comes back.
 */
export const WEBHOOKS_CHECK_LEASE_MS = 60_000;

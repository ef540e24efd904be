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

/** Where a change came from (audit `source`). */
export enum ChangeSource {
  API = 'API',
  WEBHOOK = 'WEBHOOK',
  SYNC = 'SYNC',
}

/** Prefix of the reason when Meta's own `status` field is not ACTIVE. */
export const META_STATUS_REASON_PREFIX = 'META_STATUS_';

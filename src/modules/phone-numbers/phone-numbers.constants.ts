import { Actors } from 'src/modules/organizations/actor';
/** Where a number's marketing templates go. */
export enum SendingChannel {
  CLOUD_API = 'CLOUD_API',
  MM_LITE = 'MM_LITE',
}

/** Cloud API registration of the number (`POST /{phone}/register`). */
export enum RegistrationStatus {
  PENDING = 'PENDING',
  REGISTERED = 'REGISTERED',
  FAILED = 'FAILED',
}

/** What a webhook's change of one number came to. */
export enum PhoneNumberChangeOutcome {
  APPLIED = 'APPLIED',
  /** Older than what the changed fields show already: nothing was written. */
  STALE = 'STALE',
  /** No such number (any more). */
  UNKNOWN = 'UNKNOWN',
}

/** Background registration retries: at most this many automatic attempts. */
export const REGISTRATION_MAX_AUTO_ATTEMPTS = 6;
/** First retry delay; doubles each attempt. */
export const REGISTRATION_RETRY_BASE_MS = 30_000;
/** A step started in a request is handed to the background worker if not finished within this time. */
export const ONBOARDING_STEP_LEASE_MS = 60_000;

/** Where a pending Embedded Signup connection stands (`pending_connections.status`). */
export enum PendingConnectionStatus {
  /** A request holds the claim and is exchanging the code; no token yet. */
  EXCHANGING = 'EXCHANGING',
  /** The token is stored, sealed; the `debug_token` check and the reads of the WABA and number are not done. */
  PENDING = 'PENDING',
  /** Stored as a WABA and number (the token moved to the WABA); kept to answer the same request again. */
  CONNECTED = 'CONNECTED',
  /** Refused (token invalid, WABA not granted, number not in it, owned elsewhere); the token is deleted. */
  REJECTED = 'REJECTED',
}

/** A pending connection, and the token in it, is deleted this long after the request, whatever its state. */
export const PENDING_CONNECTION_TTL_MS = 24 * 3_600_000;
/** First background retry of a verification Meta could not answer; doubles each attempt, up to the cap. */
export const PENDING_CONNECTION_RETRY_BASE_MS = 30_000;
export const PENDING_CONNECTION_RETRY_MAX_MS = 3_600_000;
/** Seconds a client is told to wait before repeating a request whose verification Meta could not answer. */
export const PENDING_CONNECTION_RETRY_AFTER_SECONDS = 10;

/** Actor of the automatic switch of a disabled WABA's MM_LITE numbers back to CLOUD_API, in the audit trail. */
export const DISABLED_WABA_CHANNEL_ACTOR = Actors.rule('waba-disabled');

/**
 * The Embedded Signup version the front end launches (graph-api-2026 §A.7). v2 and v3 ended on 2026-10-15;
 * v4 has no end date. The version and the products come from the Login for Business configuration
 * (`META_ES_CONFIG_ID`), not from launch options.
 */
export const EMBEDDED_SIGNUP_VERSION = 'v4';

/** `type` of the `message` events Meta's popup posts with the session info (unchanged in v4). */
export const EMBEDDED_SIGNUP_SESSION_INFO_TYPE = 'WA_EMBEDDED_SIGNUP';

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

/** Background registration retries: at most this many automatic attempts. */
export const REGISTRATION_MAX_AUTO_ATTEMPTS = 6;
/** First retry delay; doubles each attempt. */
export const REGISTRATION_RETRY_BASE_MS = 30_000;
/** A step started in a request is handed to the background worker if not finished within this time. */
export const ONBOARDING_STEP_LEASE_MS = 60_000;

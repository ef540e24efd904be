/** Where a stored delivery is in its processing. */
export enum WebhookInboxStatus {
  /** Stored, waiting for (another) attempt at `nextAttemptAt`. */
  PENDING = 'PENDING',
  /** Claimed by a worker until `nextAttemptAt` (the lease); an expired lease makes it claimable again. */
  PROCESSING = 'PROCESSING',
  /** Every change of the delivery was applied or deliberately ignored. */
  DONE = 'DONE',
  /** Attempts exhausted; kept with its last error for an operator. */
  FAILED = 'FAILED',
}

/** What happened to one change of a delivery (kept in the inbox row's `outcome`). */
export enum WebhookChangeOutcome {
  APPLIED = 'APPLIED',
  /** Older than what is stored (`entry.time` before `banStateAt` / `lastWebhookAt`). */
  STALE = 'STALE',
  /** The change asked for a fresh read from Meta, which was done through the sync path. */
  RESYNCED = 'RESYNCED',
  UNKNOWN_WABA = 'UNKNOWN_WABA',
  UNKNOWN_PHONE_NUMBER = 'UNKNOWN_PHONE_NUMBER',
  /** A field or event this service does not act on (stored and ignored). */
  IGNORED = 'IGNORED',
  /** The change lacks what it needs (no WABA id, unknown ban state…). */
  MALFORMED = 'MALFORMED',
}

/** Audit actor of every change a webhook makes. */
export const META_WEBHOOK_ACTOR = 'meta-webhook';

/** Header Meta signs deliveries with (§6.2). */
export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

/** The worker polls this often when it was not kicked by an insert. */
export const WEBHOOK_POLL_INTERVAL_MS = 500;
/** Rows claimed per round trip. */
export const WEBHOOK_CLAIM_BATCH_SIZE = 20;
/** WABAs of one claimed batch processed at once (each WABA's deliveries in arrival order). */
export const WEBHOOK_PROCESS_CONCURRENCY = 4;
/** A claimed row is another worker's again if not finished within this time (crash, kill -9). */
export const WEBHOOK_LEASE_MS = 60_000;
/** Attempts before a row is parked as FAILED. */
export const WEBHOOK_MAX_ATTEMPTS = 8;
/** First retry delay; doubles with each attempt, capped at {@link WEBHOOK_RETRY_MAX_MS}. */
export const WEBHOOK_RETRY_BASE_MS = 2_000;
export const WEBHOOK_RETRY_MAX_MS = 15 * 60_000;

import { Actors } from 'src/modules/organizations/actor';
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
  /**
   * Signed by Meta but not storable or readable as JSON (see {@link WebhookUnprocessableReason}, kept in
   * `lastError`): acknowledged with 200 so that Meta does not retry it for days, kept as raw bytes for an
   * operator, never processed.
   */
  UNPROCESSABLE = 'UNPROCESSABLE',
}

/** Why a signed delivery was parked as UNPROCESSABLE (the inbox row's `lastError`). */
export enum WebhookUnprocessableReason {
  /** Not UTF-8 (UTF-16/32, or invalid byte sequences); RFC 8259 requires UTF-8 between systems. */
  NOT_UTF8 = 'NOT_UTF8',
  /** Not a JSON text. */
  INVALID_JSON = 'INVALID_JSON',
  /** JSON, but not an object (every Meta delivery is `{ object, entry }`). */
  NOT_AN_OBJECT = 'NOT_AN_OBJECT',
  /** Nested deeper than the API's limit (MAX_JSON_DEPTH, 32); Meta's envelopes reach about ten levels. */
  TOO_DEEP = 'TOO_DEEP',
  /** A string holds U+0000, which PostgreSQL `jsonb` cannot store. */
  NUL_CHARACTER = 'NUL_CHARACTER',
  /** A string holds an unpaired UTF-16 surrogate, which PostgreSQL `jsonb` refuses. */
  LONE_SURROGATE = 'LONE_SURROGATE',
  /** PostgreSQL refused the JSON for another reason (e.g. a number beyond `numeric`'s range). */
  NOT_STORABLE = 'NOT_STORABLE',
}

/** What happened to one change of a delivery (kept in the inbox row's `outcome`). */
export enum WebhookChangeOutcome {
  APPLIED = 'APPLIED',
  /** Older than what the field shows (`entry.time` before its "as of" time, waba-facts.ts, phone-number-snapshot.ts). */
  STALE = 'STALE',
  /** The change asked for a fresh read from Meta, which was done through the sync path. */
  RESYNCED = 'RESYNCED',
  /** The change named a template that is not stored (or changed what is not stored): the WABA's templates are due for a read. */
  REFRESH_SCHEDULED = 'REFRESH_SCHEDULED',
  UNKNOWN_WABA = 'UNKNOWN_WABA',
  UNKNOWN_PHONE_NUMBER = 'UNKNOWN_PHONE_NUMBER',
  /** A field or event this service does not act on (stored and ignored). */
  IGNORED = 'IGNORED',
  /** The change lacks what it needs (no WABA id, unknown ban state…). */
  MALFORMED = 'MALFORMED',
}

/** Audit actor of every change a webhook makes. */
export const META_WEBHOOK_ACTOR = Actors.metaWebhook;

/** Header Meta signs deliveries with (§6.2). */
export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

/**
 * Largest delivery read: Meta documents payloads of up to 3 MB (§6.2); anything larger is refused with 413
 * before (or while) it is read, and never buffered whole.
 */
export const WEBHOOK_MAX_BODY_BYTES = 3 * 1024 * 1024 + 512 * 1024;

/** The worker polls this often when it was not kicked by an insert. */
export const WEBHOOK_POLL_INTERVAL_MS = 500;
/**
 * Lanes per instance: batches of different WABAs applied at once, each in one transaction holding one pooled
 * connection (of the pool's 20, which the API shares). A few overlap the database's work with the process's
 * own on two cores; more would only queue on them.
 */
export const WEBHOOK_BATCH_LANES = 3;
/**
 * WABAs per batch at most: a claim takes up to this many per free lane, oldest heads first, so that a delivery
 * for a WABA arriving behind a backlog of one delivery per WABA is reached after backlog ÷ (lanes × this)
 * batches, and a batch's transaction stays short (its WABA rows stay locked until it commits).
 */
export const WEBHOOK_BATCH_WABAS = 64;
/** Deliveries of one WABA a claim takes at most (its backlog, in order); the rest are claimed next time. */
export const WEBHOOK_BATCH_PER_WABA = 16;
/**
 * WABAs a lane applies one delivery at a time side by side: the deliveries that re-read Meta (a Graph call
 * each) and those of a batch that failed.
 */
export const WEBHOOK_SINGLE_CONCURRENCY = 8;
/** Processed (DONE) rows are kept this long (redeliveries within it are recognised), then pruned. */
export const WEBHOOK_DONE_RETENTION_MS = 7 * 24 * 60 * 60_000;
/** Rows one prune statement deletes: short statements that hold few row locks, never the table. */
export const WEBHOOK_PRUNE_BATCH = 1_000;
/** Batches one prune run deletes at most; what remains waits for the next run. */
export const WEBHOOK_PRUNE_MAX_BATCHES = 100;
/**
 * Renewals of a claimed row's lease (WEBHOOK_LEASE_MS) per lease period while it is worked on: with three,
 * two renewals in a row can fail (a database hiccup) before the lease runs out.
 */
export const WEBHOOK_LEASE_RENEWALS_PER_LEASE = 3;
/** Attempts before a row is parked as FAILED. */
export const WEBHOOK_MAX_ATTEMPTS = 8;
/** First retry delay; doubles with each attempt, capped at {@link WEBHOOK_RETRY_MAX_MS}. */
export const WEBHOOK_RETRY_BASE_MS = 2_000;
export const WEBHOOK_RETRY_MAX_MS = 15 * 60_000;

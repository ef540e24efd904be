/** WABAs claimed at once by one instance: one multi-ID call's worth (Graph's limit is 50 IDs). */
export const SYNC_ROUND_CLAIM_BATCH_SIZE = 50;

/**
 * How long a claim keeps other instances off a WABA. Long enough for a batch to wait in the queue and be
 * read with timeouts and retries; short enough that a crashed instance's WABAs are picked up again by the
 * next round. Claims are not renewed: an expired claim simply makes the WABA claimable again.
 */
export const SYNC_ROUND_CLAIM_LEASE_MS = 5 * 60_000;

/** Workers per instance for each allowed Graph call in flight, so database work overlaps the calls. */
export const SYNC_ROUND_WORKERS_PER_CALL_SLOT = 2;

/** Upper bound on the number of workers, to stay well inside the database pool. */
export const SYNC_ROUND_MAX_WORKERS = 16;

/** Audit actor of what the periodic round applies: nobody asked, the system reads on its own schedule. */
export const SYNC_ROUND_SCHEDULED_ACTOR = 'system';

/** Audit actor of what a full round asked for with the admin token applies. */
export const SYNC_ROUND_ADMIN_ACTOR = 'admin';

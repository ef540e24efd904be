import { Actors } from 'src/modules/organizations/actor';
/**
 * WABAs of one batch: one multi-ID call's worth (Graph's limit is 50 IDs), a worker's task. A claim takes one
 * batch per worker waiting for work (see RoundRun).
 */
export const SYNC_ROUND_CLAIM_BATCH_SIZE = 50;

/** IDs per multi-ID read of numbers (Graph's limit): a chunk's numbers are read in calls of this size at once. */
export const SYNC_ROUND_IDS_PER_CALL = 50;

/**
 * Renewals of a round's claims per lease (SYNC_CLAIM_LEASE_MS): a claim runs out only after this many
 * renewals in a row failed to happen, that is when its instance is gone or stalled, not while Meta is slow.
 */
export const SYNC_ROUND_LEASE_RENEWALS_PER_LEASE = 3;

/** Workers per instance for each allowed Graph call in flight, so database work overlaps the calls. */
export const SYNC_ROUND_WORKERS_PER_CALL_SLOT = 2;

/** Upper bound on the number of workers, to stay well inside the database pool. */
export const SYNC_ROUND_MAX_WORKERS = 16;

/** Audit actor of what the periodic round applies: nobody asked, the system reads on its own schedule. */
export const SYNC_ROUND_SCHEDULED_ACTOR = Actors.system;

/** Audit actor of what a full round asked for with the admin token applies. */
export const SYNC_ROUND_ADMIN_ACTOR = Actors.admin;

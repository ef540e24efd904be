/** Prefix that makes keys recognizable in logs and secret scanners. */
export const API_KEY_PREFIX = 'waak_';
/** Random bytes per key (256 bits). */
export const API_KEY_RANDOM_BYTES = 32;
/** `lastUsedAt` is written at most this often per key, so reads stay reads. */
export const API_KEY_LAST_USED_RESOLUTION_MS = 60_000;
/**
 * Active (unrevoked) keys an organization may hold. Each key is a standing credential and a row looked up on
 * every request; real integrations need a handful (one per environment or service), not an unbounded number.
 */
export const API_KEY_MAX_ACTIVE_PER_ORGANIZATION = 100;
/**
 * How long an instance trusts a key it looked up, at most (it forgets a revoked key as soon as the revocation's
 * notification arrives, and trusts nothing while it cannot hear them): a bound for the case nothing else covers.
 */
export const API_KEY_CACHE_TTL_MS = 60_000;
/** Keys an instance remembers at once; past it the oldest lookup is forgotten. */
export const API_KEY_CACHE_MAX = 10_000;
/** The PostgreSQL notification channel of revoked keys (payload: the key's SHA-256, hex). */
export const API_KEY_REVOKED_CHANNEL = 'api_key_revoked';
/** Waits before listening again after the revocations' connection was lost (the last one repeats). */
export const API_KEY_REVOCATIONS_RECONNECT_DELAYS_MS = [0, 500, 2_000, 5_000] as const;

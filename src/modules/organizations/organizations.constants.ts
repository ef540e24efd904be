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

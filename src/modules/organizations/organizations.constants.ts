/** Prefix that makes keys recognizable in logs and secret scanners. */
export const API_KEY_PREFIX = 'waak_';
/** Random bytes per key (256 bits). */
export const API_KEY_RANDOM_BYTES = 32;
/** `lastUsedAt` is written at most this often per key, so reads stay reads. */
export const API_KEY_LAST_USED_RESOLUTION_MS = 60_000;

/** Consecutive failures after which a WABA's re-sync waits the maximum back-off. */
export const META_SYNC_MAX_BACKOFF_MINUTES = 24 * 60;
/** First back-off after a failed sync; doubles with each consecutive failure. */
export const META_SYNC_BASE_BACKOFF_MINUTES = 1;

/** The window every limit is expressed in: "N per minute". */
export const RATE_LIMIT_WINDOW_MS = 60_000;

/** Expired buckets are deleted this often; an expired bucket already behaves as absent, so this is housekeeping. */
export const RATE_LIMIT_SWEEP_INTERVAL_MS = 60_000;

/**
 * Buckets an instance remembers as exhausted (to answer 429 without asking the shared store). Bounded so
 * that a flood from many addresses cannot grow the process; past it, the oldest entries are forgotten and
 * those callers are simply checked against the shared store again.
 */
export const RATE_LIMIT_LOCAL_BLOCKS_MAX = 10_000;

/**
 * An instance takes up to 1/this of a bucket's per-minute budget from the shared store at once (at least one
 * unit) and admits requests from those units locally (see {@link RateLimiter}): at the default 600 per
 * minute, one round trip per 6 requests. Any window can then see at most `lease - 1` more admissions per
 * instance than a limiter taking units one by one would allow; the rate over time cannot exceed the limit.
 */
export const RATE_LIMIT_LEASE_DIVISOR = 100;

/** Prefix of every Redis key the limiter writes. */
export const RATE_LIMIT_REDIS_KEY_PREFIX = 'wa-assets:rate-limit:';

/** A Redis call slower than this fails open (the request is let through, a warning is logged). */
export const RATE_LIMIT_REDIS_TIMEOUT_MS = 500;

/** At most one "Redis failed" warning per this interval, so an outage does not flood the log. */
export const RATE_LIMIT_REDIS_WARN_INTERVAL_MS = 10_000;

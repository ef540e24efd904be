import { RATE_LIMIT_WINDOW_MS } from './rate-limit.constants';

/** Outcome of taking one unit from a bucket. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Units left right after this one (0 when refused). */
  remaining: number;
  /** When `remaining` is 0: milliseconds until the bucket admits one more; otherwise 0. */
  retryAfterMs: number;
}

/**
 * Where the buckets live, shared by every instance: PostgreSQL by default, Redis when `REDIS_URL` is set.
 *
 * Both implement the same GCRA (generic cell rate algorithm, a token bucket kept as one timestamp): a
 * limit of N per minute admits a burst of N, then one more every 60/N seconds. Unlike a fixed window it
 * has no boundary where 2N pass within a few seconds, and it needs a single value per bucket, so taking
 * a unit is one atomic read-modify-write with the store's own clock (instances' clocks never mix).
 */
export abstract class RateLimitStore {
  /**
   * Takes `units` units (default one, at most `limitPerMinute`) from `bucket`, whose budget is
   * `limitPerMinute`, all or nothing: refused unless they all fit. `remaining` then counts whole units
   * left, and `retryAfterMs` of a refusal is the wait for one unit.
   */
  abstract consume(bucket: string, limitPerMinute: number, units?: number): Promise<RateLimitDecision>;

  /** Deletes buckets that have refilled completely (they behave exactly as absent ones). */
  abstract sweep(): Promise<number>;
}

/** GCRA parameters of a per-minute limit, in microseconds. */
export interface GcraParameters {
  /** Time one unit takes to refill. */
  emissionUs: number;
  /** How far ahead of now the arrival time may run: N units of emission (≈ the window). */
  capacityUs: number;
}

/** Integer microseconds keep the arithmetic exact in SQL and Lua; N × emission is the capacity so N always fit. */
export function gcraParameters(limitPerMinute: number): GcraParameters {
  const emissionUs = Math.max(1, Math.round((RATE_LIMIT_WINDOW_MS * 1000) / limitPerMinute));
  return { emissionUs, capacityUs: emissionUs * limitPerMinute };
}

/**
 * What taking `units` at once moves the arrival time by. The stores' one GCRA step with this cost in place
 * of one emission interval takes the units all or nothing; the units are clamped to the budget so that a
 * fresh bucket always admits them.
 */
export function gcraCostUs(parameters: GcraParameters, units: number): number {
  const whole = Math.max(1, Math.min(Math.floor(units), parameters.capacityUs / parameters.emissionUs));
  return whole * parameters.emissionUs;
}

/**
 * The decision for an arrival time: `admittedTatUs` is the bucket's new arrival time when the unit was
 * taken (null when refused), `storedTatUs` the one that refused it.
 */
export function gcraDecision(
  parameters: GcraParameters,
  nowUs: number,
  admittedTatUs: number | null,
  storedTatUs: number | null,
): RateLimitDecision {
  const { emissionUs, capacityUs } = parameters;
  if (admittedTatUs !== null) {
    const remaining = Math.floor((capacityUs - (admittedTatUs - nowUs)) / emissionUs);
    const retryAfterUs = remaining > 0 ? 0 : admittedTatUs + emissionUs - capacityUs - nowUs;
    return { allowed: true, remaining, retryAfterMs: Math.max(0, Math.ceil(retryAfterUs / 1000)) };
  }
  // Refused by a bucket another request has just moved: at least one emission interval.
  const retryAfterUs = storedTatUs === null ? emissionUs : storedTatUs + emissionUs - capacityUs - nowUs;
  return { allowed: false, remaining: 0, retryAfterMs: Math.max(1, Math.ceil(retryAfterUs / 1000)) };
}

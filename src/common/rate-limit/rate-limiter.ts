import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

import { LocalBlockList } from './local-block-list';
import {
  RATE_LIMIT_LEASE_DIVISOR,
  RATE_LIMIT_LOCAL_BLOCKS_MAX,
  RATE_LIMIT_SWEEP_INTERVAL_MS,
  RATE_LIMIT_WINDOW_MS,
} from './rate-limit.constants';
import { type RateLimitDecision, RateLimitStore } from './rate-limit.store';

/** Units of one bucket this instance took ahead from the store and has not used yet. */
interface Lease {
  units: number;
  /** The store call taking the next lease, which the bucket's other requests wait for. */
  pending: Promise<void> | null;
  /** Until then no lease fits the bucket any more: take its units one by one. */
  unitByUnitUntilMs: number;
}

/** Units an instance takes from the shared store at once for a budget of `limitPerMinute`. */
export function rateLimitLeaseUnits(limitPerMinute: number): number {
  return Math.max(1, Math.floor(limitPerMinute / RATE_LIMIT_LEASE_DIVISOR));
}

/**
 * The public API's rate limits, shared by every instance through the {@link RateLimitStore}. A bucket
 * that ran empty is also remembered here until it refills, so a caller over its limit is refused without
 * a round trip to the store, and an address that keeps guessing keys costs nothing at all.
 *
 * Budgets large enough ({@link rateLimitLeaseUnits} > 1, e.g. an organization's 600 per minute) are taken
 * from the store a lease at a time: one call takes several units (all or nothing) and the instance admits
 * that many requests without a round trip; concurrent requests of the bucket wait for the one call in
 * flight instead of each taking a lease. Every admitted request is still a unit taken from the shared
 * bucket, so the limit holds across instances over time; a burst can see at most `lease - 1` more per
 * instance than unit-by-unit taking would admit, and units an instance holds are not available to the
 * others until it uses them. Once a whole lease no longer fits, units are taken one by one as before, so
 * the last units of a budget and the 429 come exactly as they would without leases.
 */
@Injectable()
export class RateLimiter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly blocked = new LocalBlockList(RATE_LIMIT_LOCAL_BLOCKS_MAX);
  private readonly leases = new Map<string, Lease>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(private readonly store: RateLimitStore) {}

  onApplicationBootstrap(): void {
    // Every instance sweeps; it is one DELETE of a small table, and idempotent.
    this.sweepTimer = setInterval(() => void this.sweep(), RATE_LIMIT_SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
  }

  onModuleDestroy(): void {
    if (this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  /** Milliseconds until `bucket` admits again as far as this instance knows (no store call); 0 = not known empty. */
  knownBlockMs(bucket: string): number {
    return this.blocked.remainingMs(bucket);
  }

  /**
   * Takes one unit of `bucket` (budget `limitPerMinute`): from this instance's lease when it holds one,
   * refused locally when the bucket is known to be empty, else from the store.
   */
  async consume(bucket: string, limitPerMinute: number): Promise<RateLimitDecision> {
    const leaseUnits = rateLimitLeaseUnits(limitPerMinute);
    if (leaseUnits > 1) {
      const leased = await this.consumeLeased(bucket, limitPerMinute, leaseUnits);
      if (leased) {
        return leased;
      }
    }
    return this.consumeOne(bucket, limitPerMinute);
  }

  /** Deletes refilled buckets from the store; returns how many, or null when the store failed. */
  async sweep(): Promise<number | null> {
    try {
      return await this.store.sweep();
    } catch (error) {
      this.logger.warn(`Rate-limit sweep failed: ${error instanceof Error ? error.message : 'unexpected error'}`);
      return null;
    }
  }

  private async consumeOne(bucket: string, limitPerMinute: number): Promise<RateLimitDecision> {
    const knownMs = this.blocked.remainingMs(bucket);
    if (knownMs > 0) {
      return { allowed: false, remaining: 0, retryAfterMs: knownMs };
    }
    const decision = await this.store.consume(bucket, limitPerMinute);
    this.remember(bucket, decision);
    return decision;
  }

  /**
   * One unit from the bucket's lease, taking the next lease when it is used up; null when no lease can be
   * had (the bucket is known empty, or a whole lease no longer fits): the caller then takes a single unit.
   * `remaining` of a leased admission counts the units this instance still holds.
   */
  private async consumeLeased(
    bucket: string,
    limitPerMinute: number,
    leaseUnits: number,
  ): Promise<RateLimitDecision | null> {
    for (;;) {
      const lease = this.leases.get(bucket) ?? this.track(bucket);
      if (lease.units > 0) {
        lease.units -= 1;
        return { allowed: true, remaining: lease.units, retryAfterMs: 0 };
      }
      if (lease.pending) {
        await lease.pending;
        continue;
      }
      if (Date.now() < lease.unitByUnitUntilMs || this.blocked.remainingMs(bucket) > 0) {
        return null;
      }
      let taken = false;
      lease.pending = this.store
        .consume(bucket, limitPerMinute, leaseUnits)
        .then((decision) => {
          if (decision.allowed) {
            lease.units += leaseUnits;
            taken = true;
            this.remember(bucket, decision);
          } else {
            // A lease fits again at the earliest once that many units have refilled.
            lease.unitByUnitUntilMs = Date.now() + (leaseUnits * RATE_LIMIT_WINDOW_MS) / limitPerMinute;
          }
        })
        .finally(() => {
          lease.pending = null;
        });
      await lease.pending;
      if (!taken) {
        return null;
      }
    }
  }

  // A bucket the store left empty is refused here until it refills.
  private remember(bucket: string, decision: RateLimitDecision): void {
    if (decision.remaining === 0) {
      this.blocked.block(bucket, decision.retryAfterMs);
    }
  }

  // Bounded like the block list: past it, the oldest idle lease is forgotten with its units (which only
  // ever makes the limit stricter).
  private track(bucket: string): Lease {
    if (this.leases.size >= RATE_LIMIT_LOCAL_BLOCKS_MAX) {
      for (const [key, lease] of this.leases) {
        if (!lease.pending) {
          this.leases.delete(key);
          break;
        }
      }
    }
    const lease: Lease = { units: 0, pending: null, unitByUnitUntilMs: 0 };
    this.leases.set(bucket, lease);
    return lease;
  }
}

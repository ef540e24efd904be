import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';

import { LocalBlockList } from './local-block-list';
import { RATE_LIMIT_LOCAL_BLOCKS_MAX, RATE_LIMIT_SWEEP_INTERVAL_MS } from './rate-limit.constants';
import { type RateLimitDecision, RateLimitStore } from './rate-limit.store';

/**
 * The public API's rate limits, shared by every instance through the {@link RateLimitStore}. A bucket
 * that ran empty is also remembered here until it refills, so a caller over its limit is refused without
 * a round trip to the store, and an address that keeps guessing keys costs nothing at all.
 */
@Injectable()
export class RateLimiter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly blocked = new LocalBlockList(RATE_LIMIT_LOCAL_BLOCKS_MAX);
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

  /** Takes one unit of `bucket` (budget `limitPerMinute`), refusing locally when it is known to be empty. */
  async consume(bucket: string, limitPerMinute: number): Promise<RateLimitDecision> {
    const knownMs = this.blocked.remainingMs(bucket);
    if (knownMs > 0) {
      return { allowed: false, remaining: 0, retryAfterMs: knownMs };
    }
    const decision = await this.store.consume(bucket, limitPerMinute);
    if (decision.remaining === 0) {
      this.blocked.block(bucket, decision.retryAfterMs);
    }
    return decision;
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
}

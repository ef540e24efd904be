import { Logger, type OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';

import {
  RATE_LIMIT_REDIS_KEY_PREFIX,
  RATE_LIMIT_REDIS_TIMEOUT_MS,
  RATE_LIMIT_REDIS_WARN_INTERVAL_MS,
} from './rate-limit.constants';
import { gcraCostUs, gcraDecision, gcraParameters, type RateLimitDecision, RateLimitStore } from './rate-limit.store';

// The same GCRA as the PostgreSQL store, atomic in one script with Redis' clock; ARGV[1] is the cost of
// the units taken (one emission interval each). Lua numbers are doubles,
// exact for microsecond timestamps (< 2^53); integers come back as integer replies, -1 meaning "none".
// The key expires when the bucket has refilled, so Redis cleans up by itself.
const CONSUME_LUA = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local emission = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local stored = tonumber(redis.call('GET', KEYS[1]))
local tat = stored
if tat == nil or tat < now then
  tat = now
end
local admitted = tat + emission
if admitted - now > capacity then
  return { now, -1, stored or -1 }
end
redis.call('SET', KEYS[1], string.format('%d', admitted), 'PX', math.ceil((admitted - now) / 1000) + 1)
return { now, admitted, stored or -1 }
`;

interface RedisWithConsume extends Redis {
  rateLimitConsume(key: string, emissionUs: number, capacityUs: number): Promise<[number, number, number]>;
}

/**
 * The buckets in Redis (`REDIS_URL`), for deployments that would rather keep the per-request write off
 * PostgreSQL. Fails open: when Redis does not answer within {@link RATE_LIMIT_REDIS_TIMEOUT_MS}, the request
 * is let through and a warning is logged (at most every few seconds), because an unavailable limiter must not
 * take the API down with it.
 */
export class RedisRateLimitStore extends RateLimitStore implements OnModuleDestroy {
  private readonly logger = new Logger(RedisRateLimitStore.name);
  private readonly redis: RedisWithConsume;
  private lastWarningAt = 0;

  constructor(url: string) {
    super();
    const redis = new Redis(url, {
      connectTimeout: 2_000,
      commandTimeout: RATE_LIMIT_REDIS_TIMEOUT_MS,
      // Queued commands would hold requests while Redis is away; failing open at once is the point.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    redis.defineCommand('rateLimitConsume', { numberOfKeys: 1, lua: CONSUME_LUA });
    redis.on('error', (error: Error) => this.warn(`Redis rate-limit store: ${error.message}`));
    this.redis = redis as RedisWithConsume;
  }

  async consume(bucket: string, limitPerMinute: number, units = 1): Promise<RateLimitDecision> {
    const parameters = gcraParameters(limitPerMinute);
    try {
      const [nowUs, admittedUs, storedUs] = await this.redis.rateLimitConsume(
        `${RATE_LIMIT_REDIS_KEY_PREFIX}${bucket}`,
        gcraCostUs(parameters, units),
        parameters.capacityUs,
      );
      return gcraDecision(parameters, nowUs, admittedUs === -1 ? null : admittedUs, storedUs === -1 ? null : storedUs);
    } catch (error) {
      this.warn(
        `Rate limit not enforced (Redis failed): ${error instanceof Error ? error.message : 'unexpected error'}`,
      );
      return { allowed: true, remaining: 1, retryAfterMs: 0 };
    }
  }

  /** Keys expire on their own in Redis. */
  sweep(): Promise<number> {
    return Promise.resolve(0);
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt >= RATE_LIMIT_REDIS_WARN_INTERVAL_MS) {
      this.lastWarningAt = now;
      this.logger.warn(message);
    }
  }
}

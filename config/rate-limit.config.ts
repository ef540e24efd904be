import { registerAs } from '@nestjs/config';

import { validate } from 'config/env.validation';

export interface RateLimitConfig {
  /** Public API requests per minute per organization, all its keys and all instances together. */
  requestsPerMinute: number;
  /** Failed authentications per minute per client address, all instances together. */
  authFailuresPerMinute: number;
  /** Redis holding the shared counters; null keeps them in PostgreSQL. */
  redisUrl: string | null;
}

export default registerAs('rateLimit', (): RateLimitConfig => {
  const env = validate(process.env);
  return {
    requestsPerMinute: env.RATE_LIMIT_PER_MINUTE,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE,
    redisUrl: env.REDIS_URL ?? null,
  };
});

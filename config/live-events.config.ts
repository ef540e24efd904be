import { registerAs } from '@nestjs/config';

import { validate } from 'config/env.validation';

export interface LiveEventsConfig {
  /** Open event streams per organization on one instance; one more is answered 429. */
  maxStreamsPerOrganization: number;
  /** Interval of the `: keep-alive` comment on every open stream, in milliseconds. */
  keepAliveMs: number;
  /** Redis carrying the frames between instances; null carries them with PostgreSQL LISTEN/NOTIFY. */
  redisUrl: string | null;
}

export default registerAs('liveEvents', (): LiveEventsConfig => {
  const env = validate(process.env);
  return {
    maxStreamsPerOrganization: env.LIVE_EVENTS_MAX_STREAMS_PER_ORGANIZATION,
    keepAliveMs: env.LIVE_EVENTS_KEEPALIVE_MS,
    redisUrl: env.REDIS_URL ?? null,
  };
});

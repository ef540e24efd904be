import type { AppConfig } from 'config/app.config';
import type { DatabaseConfig } from 'config/database.config';
import type { LiveEventsConfig } from 'config/live-events.config';
import type { MetaConfig } from 'config/meta.config';
import type { RateLimitConfig } from 'config/rate-limit.config';
import type { SchedulerConfig } from 'config/scheduler.config';

/** The typed shape behind `ConfigService<AllConfig, true>`. */
export interface AllConfig {
  app: AppConfig;
  database: DatabaseConfig;
  liveEvents: LiveEventsConfig;
  meta: MetaConfig;
  rateLimit: RateLimitConfig;
  scheduler: SchedulerConfig;
}

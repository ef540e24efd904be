import type { EntityManager } from '@mikro-orm/postgresql';
import { Logger, type OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';

import { boundLogLine } from 'src/common/logging/describe-error';

import { META_THROTTLE_REDIS_KEY, META_THROTTLE_REDIS_TIMEOUT_MS } from './meta-gateway.constants';

/** One shared pause: a business object's ID (or the app scope) and until when, epoch milliseconds. */
export interface SharedPause {
  scope: string;
  untilMs: number;
}

/**
 * Where Meta's throttle pauses live so that every instance respects them: PostgreSQL by default (the
 * UNLOGGED `meta_throttle_pauses`), Redis when `REDIS_URL` is set. {@link MetaThrottleRegistry} writes a
 * pause when it records or extends one and reloads the active ones every {@link META_THROTTLE_REFRESH_MS};
 * the gateway's reads never wait on the store.
 */
export abstract class MetaThrottleStore {
  /** Records `scope` paused until `untilMs`, unless it is paused until later already (never shortens). */
  abstract pause(scope: string, untilMs: number): Promise<void>;

  /** The pauses still in the future. */
  abstract active(): Promise<SharedPause[]>;

  /** Deletes pauses that ended before `beforeMs`. */
  abstract sweep(beforeMs: number): Promise<void>;
}

/** The pauses in PostgreSQL: a few rows, one UPSERT per pause recorded, one indexless read per refresh. */
export class PostgresMetaThrottleStore extends MetaThrottleStore {
  // Raw SQL on its own pooled connection (never a caller's transaction), so no request context is needed.
  constructor(private readonly em: EntityManager) {
    super();
  }

  async pause(scope: string, untilMs: number): Promise<void> {
    await this.em.getConnection().execute(
      `INSERT INTO meta_throttle_pauses AS pause (scope, paused_until) VALUES (?, ?)
       ON CONFLICT (scope) DO UPDATE SET paused_until = EXCLUDED.paused_until
        WHERE pause.paused_until < EXCLUDED.paused_until`,
      [scope, new Date(untilMs)],
      'run',
    );
  }

  async active(): Promise<SharedPause[]> {
    const rows = await this.em.getConnection().execute<Array<{ scope: string; until_ms: string | number }>>(
      `SELECT scope, (extract(epoch FROM paused_until) * 1000)::bigint AS until_ms
           FROM meta_throttle_pauses WHERE paused_until > now()`,
      [],
      'all',
    );
    return rows.map((row) => ({ scope: row.scope, untilMs: Number(row.until_ms) }));
  }

  async sweep(beforeMs: number): Promise<void> {
    await this.em
      .getConnection()
      .execute('DELETE FROM meta_throttle_pauses WHERE paused_until < ?', [new Date(beforeMs)], 'run');
  }
}

// Moves a member's score only later (ZADD GT needs Redis 6.2; this works on any version).
const PAUSE_LUA = `
local current = redis.call('ZSCORE', KEYS[1], ARGV[2])
if (not current) or tonumber(current) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
end
return 1
`;

interface RedisWithPause extends Redis {
  metaThrottlePause(key: string, untilMs: number, scope: string): Promise<number>;
}

/**
 * The pauses in Redis (`REDIS_URL`): one sorted set, member = scope, score = until. Redis failing makes the
 * pauses per instance again (each instance still keeps its own), with a warning at most every minute.
 */
export class RedisMetaThrottleStore extends MetaThrottleStore implements OnModuleDestroy {
  private readonly logger = new Logger(RedisMetaThrottleStore.name);
  private readonly redis: RedisWithPause;
  private lastWarningAt = 0;

  constructor(url: string) {
    super();
    const redis = new Redis(url, {
      connectTimeout: 2_000,
      commandTimeout: META_THROTTLE_REDIS_TIMEOUT_MS,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    redis.defineCommand('metaThrottlePause', { numberOfKeys: 1, lua: PAUSE_LUA });
    redis.on('error', (error: Error) => this.warn(`Redis throttle store: ${error.message}`));
    this.redis = redis as RedisWithPause;
  }

  async pause(scope: string, untilMs: number): Promise<void> {
    try {
      await this.redis.metaThrottlePause(META_THROTTLE_REDIS_KEY, untilMs, scope);
    } catch (error) {
      this.warn(`Meta throttle pause not shared (Redis failed): ${messageOf(error)}`);
    }
  }

  async active(): Promise<SharedPause[]> {
    try {
      const flat = await this.redis.zrangebyscore(META_THROTTLE_REDIS_KEY, `(${Date.now()}`, '+inf', 'WITHSCORES');
      const pauses: SharedPause[] = [];
      for (let index = 0; index + 1 < flat.length; index += 2) {
        pauses.push({ scope: flat[index], untilMs: Number(flat[index + 1]) });
      }
      return pauses;
    } catch (error) {
      this.warn(`Meta throttle pauses not read (Redis failed): ${messageOf(error)}`);
      return [];
    }
  }

  async sweep(beforeMs: number): Promise<void> {
    try {
      await this.redis.zremrangebyscore(META_THROTTLE_REDIS_KEY, '-inf', `(${beforeMs}`);
    } catch (error) {
      this.warn(`Meta throttle pauses not swept (Redis failed): ${messageOf(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.lastWarningAt >= 60_000) {
      this.lastWarningAt = now;
      this.logger.warn(message);
    }
  }
}

function messageOf(error: unknown): string {
  return boundLogLine(error instanceof Error ? error.message : 'unexpected error');
}

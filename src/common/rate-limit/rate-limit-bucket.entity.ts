import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One rate-limit bucket in PostgreSQL (the default shared store; see {@link PostgresRateLimitStore}). Not a
 * domain entity, so no UUID or timestamps: one short row per limited scope (`organization:<id>`,
 * `auth-failure:<address>`, `admin`), rewritten in place by one UPSERT per request. The table is created
 * UNLOGGED by its migration: losing the counters in a crash only hands out one fresh minute of budget.
 */
@Entity({ tableName: 'rate_limit_buckets' })
export class RateLimitBucket {
  @PrimaryKey({ length: 300 })
  key: string;

  /**
   * GCRA "theoretical arrival time" in microseconds since the epoch (database clock): the bucket is empty
   * while it lies a whole window ahead of now, and full once it is in the past (then the row is garbage).
   */
  @Property({ columnType: 'bigint' })
  tatUs: string;

  constructor(key: string, tatUs: string) {
    this.key = key;
    this.tatUs = tatUs;
  }
}

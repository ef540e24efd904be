import type { EntityManager } from '@mikro-orm/postgresql';

import { gcraCostUs, gcraDecision, gcraParameters, type RateLimitDecision, RateLimitStore } from './rate-limit.store';

// One round trip per take: the UPSERT moves the arrival time by the cost of the units (one emission
// interval each) only when they all fit, and the outer SELECT reads the pre-statement row (data-modifying
// CTEs do not see each other's writes), which is the one that refused when nothing was admitted. The clock
// CTE is volatile, so it is evaluated once.
const CONSUME_SQL = `
WITH clock AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now_us),
admitted AS (
  INSERT INTO rate_limit_buckets AS bucket (key, tat_us)
  SELECT ?, clock.now_us + ? FROM clock
  ON CONFLICT (key) DO UPDATE
    SET tat_us = GREATEST(bucket.tat_us, EXCLUDED.tat_us - ?) + ?
    WHERE GREATEST(bucket.tat_us, EXCLUDED.tat_us - ?) + ? - (EXCLUDED.tat_us - ?) <= ?
  RETURNING tat_us
)
SELECT clock.now_us,
       (SELECT tat_us FROM admitted) AS admitted_tat_us,
       (SELECT tat_us FROM rate_limit_buckets WHERE key = ?) AS stored_tat_us
FROM clock`;

const SWEEP_SQL = `
DELETE FROM rate_limit_buckets
WHERE tat_us < (extract(epoch FROM clock_timestamp()) * 1000000)::bigint`;

interface ConsumeRow {
  now_us: string;
  admitted_tat_us: string | null;
  stored_tat_us: string | null;
}

/**
 * The buckets in PostgreSQL (table `rate_limit_buckets`, UNLOGGED): one UPSERT per take on a row per
 * scope, with the database's clock, so every instance on the database shares them. Hot rows are one per
 * active organization; they are updated in place (no indexed column changes, so updates stay HOT).
 */
export class PostgresRateLimitStore extends RateLimitStore {
  // Only its connection is used (raw SQL, no entities), so the global EntityManager needs no request context.
  constructor(private readonly em: EntityManager) {
    super();
  }

  async consume(bucket: string, limitPerMinute: number, units = 1): Promise<RateLimitDecision> {
    const parameters = gcraParameters(limitPerMinute);
    const t = gcraCostUs(parameters, units);
    const capacity = parameters.capacityUs;
    const row = await this.em
      .getConnection()
      .execute<ConsumeRow>(CONSUME_SQL, [bucket, t, t, t, t, t, t, capacity, bucket], 'get');
    return gcraDecision(
      parameters,
      Number(row.now_us),
      row.admitted_tat_us === null ? null : Number(row.admitted_tat_us),
      row.stored_tat_us === null ? null : Number(row.stored_tat_us),
    );
  }

  async sweep(): Promise<number> {
    const result = await this.em.getConnection().execute<{ affectedRows: number }>(SWEEP_SQL, [], 'run');
    return result.affectedRows;
  }
}

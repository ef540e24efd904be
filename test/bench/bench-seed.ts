import { createHash } from 'node:crypto';

import type { Pool } from 'pg';

import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { benchPhoneNumberId, benchWabaId, type BenchScale } from 'test/bench/bench-scale';

/** What the seeding wrote, for the report. */
export interface SeedResult {
  organizations: number;
  wabas: number;
  phoneNumbers: number;
  seconds: number;
}

/**
 * Seeds the scale of product-spec §3 with set-based SQL (`INSERT … SELECT generate_series`), not the API:
 * `organizations - 1` more organizations beside the benched one, `wabas` WABAs (the first
 * `benchOrganizationWabas` in the benched organization, the others spread evenly over the rest) and
 * `numbersPerWaba` numbers each. Every WABA carries the same sealed business token. Statuses and MM Lite
 * columns vary, every WABA is synced and not due, so nothing runs until the bench asks for it.
 */
export async function seedScale(
  pool: Pool,
  scale: BenchScale,
  benchOrganizationId: string,
  sealedToken: string,
  token: string,
  sealedPin: string,
): Promise<SeedResult> {
  const startedAt = performance.now();
  const others = scale.organizations - 1;
  await pool.query(
    `INSERT INTO organizations (id, name, created_at)
     SELECT gen_random_uuid(), 'Bench organization ' || g, now() - (g * interval '1 second')
       FROM generate_series(1, $1::int) g`,
    [others],
  );
  const fingerprint = createHash('sha256').update(token).digest('hex');
  await pool.query(
    `WITH others AS (
       SELECT id, (row_number() OVER (ORDER BY id)) - 1 AS n FROM organizations WHERE id <> $1::uuid
     ), seqs AS (
       SELECT g AS seq,
              CASE WHEN g < $2::int THEN NULL ELSE (g - $2::int) % $3::int END AS org_n
         FROM generate_series(0, $4::int - 1) g
     )
     INSERT INTO wabas (id, organization_id, waba_id, name, status, status_reason, mm_lite_status,
                        mm_lite_meta_status, meta_status, currency, timezone_id, account_review_status,
                        owner_business_id, connection, access_token_sealed, access_token_fingerprint,
                        subscription_status, last_synced_at, next_sync_at)
     SELECT gen_random_uuid(), COALESCE(o.id, $1::uuid), (200000000000000 + s.seq)::text,
            'Bench WABA ' || s.seq,
            CASE WHEN s.seq % 25 = 0 THEN 'DISABLED' ELSE 'ACTIVE' END::waba_status,
            CASE WHEN s.seq % 25 = 0 THEN 'BANNED' END,
            CASE s.seq % 3 WHEN 0 THEN 'ONBOARDED' WHEN 1 THEN 'NOT_ONBOARDED' END::mm_lite_status,
            CASE s.seq % 3 WHEN 0 THEN 'ONBOARDED' WHEN 1 THEN 'PENDING_TOS_ACCEPTANCE' END,
            'ACTIVE', 'USD', '1', 'APPROVED', (900000000000000 + s.seq / 10)::text,
            'CONNECTED', $5, $6, 'SUBSCRIBED', now() - interval '1 hour', now() + interval '1 day'
       FROM seqs s LEFT JOIN others o ON o.n = s.org_n`,
    [benchOrganizationId, scale.benchOrganizationWabas, others, scale.wabas, sealedToken, fingerprint],
  );
  await pool.query(
    `INSERT INTO phone_numbers (id, organization_id, waba_id, phone_number_id, display_phone_number,
                                display_phone_digits, verified_name, quality_rating, status, platform_type,
                                messaging_limit_tier, registration_status, pin_sealed, last_synced_at)
     SELECT gen_random_uuid(), w.organization_id, w.id,
            (300000000000000 + (w.waba_id::bigint - 200000000000000) * $1::int + k)::text,
            '+1 555-' || lpad(((w.waba_id::bigint - 200000000000000) * $1::int + k)::text, 7, '0'),
            '1555' || lpad(((w.waba_id::bigint - 200000000000000) * $1::int + k)::text, 7, '0'),
            w.name, 'GREEN', 'CONNECTED', 'CLOUD_API', 'TIER_1K', 'REGISTERED', $2, now() - interval '1 hour'
       FROM wabas w CROSS JOIN generate_series(0, $1::int - 1) k`,
    [scale.numbersPerWaba, sealedPin],
  );
  await pool.query('ANALYZE organizations, api_keys, wabas, phone_numbers, webhook_inbox, audit_events');
  const counts = await pool.query<{ organizations: number; wabas: number; phone_numbers: number }>(
    `SELECT (SELECT count(*) FROM organizations)::int AS organizations, (SELECT count(*) FROM wabas)::int AS wabas,
            (SELECT count(*) FROM phone_numbers)::int AS phone_numbers`,
  );
  const row = counts.rows[0];
  return {
    organizations: row.organizations,
    wabas: row.wabas,
    phoneNumbers: row.phone_numbers,
    seconds: (performance.now() - startedAt) / 1000,
  };
}

/**
 * Mirrors the first `count` seeded WABAs and their numbers in the simulator (same Meta IDs, one business
 * per ten WABAs, as seeded), so that a re-sync round can read them. Meta's names differ from the stored
 * ones, so the round has a change to apply and audit for each.
 */
export function mirrorInSimulator(simulator: MetaSimulator, scale: BenchScale, count: number): string[] {
  const wabaIds: string[] = [];
  for (let seq = 0; seq < count; seq++) {
    const businessId = String(900_000_000_000_000 + Math.floor(seq / 10));
    if (seq % 10 === 0) {
      simulator.createBusiness({ id: businessId, name: `Bench business ${seq / 10}` });
    }
    const wabaId = benchWabaId(seq);
    simulator.createWaba({ id: wabaId, businessId, name: `Bench WABA ${seq} (renamed at Meta)`, subscribed: true });
    for (let k = 0; k < scale.numbersPerWaba; k++) {
      simulator.createPhoneNumber({ id: benchPhoneNumberId(seq, k, scale.numbersPerWaba), wabaId });
    }
    wabaIds.push(wabaId);
  }
  return wabaIds;
}

/** Makes exactly these WABAs due for the next round. */
export async function makeDue(pool: Pool, wabaIds: string[]): Promise<void> {
  await pool.query(`UPDATE wabas SET next_sync_at = now() - interval '1 minute' WHERE waba_id = ANY($1::text[])`, [
    wabaIds,
  ]);
}

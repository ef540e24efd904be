import type { Pool } from 'pg';

import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { benchWabaId } from 'test/bench/bench-scale';

/** The inbox's and audit trail's history seeded before the query plans are checked. */
export interface HistorySeed {
  inboxRows: number;
  auditEvents: number;
  seconds: number;
}

/** Webhook processing: a backlog applied end to end, and a delivery posted right after it. */
export interface ProcessingBenchResult {
  changes: number;
  /** Callers of the driver baseline, each writing one change per transaction as the worker once did. */
  driverCallers: number;
  /** Backlog rows (one change each) applied per second, from the moment they are stored to the last visible. */
  changesPerSecond: number;
  /** A delivery posted through the API right after the backlog: from its 200 until its change is visible. */
  probeVisibleMs: number;
  /** The same change's writes through the driver, at the same concurrency (lock, update, audit, finish). */
  driverChangesPerSecond: number;
}

const PROBE_POLL_MS = 10;
const COUNT_POLL_MS = 50;
const WAIT_LIMIT_MS = 5 * 60_000;

/**
 * A realistic history for the EXPLAIN checks: `inboxRows` processed (DONE) deliveries spread over the last
 * 30 days and `auditEvents` audit events spread over the seeded organizations, in bulk SQL.
 */
export async function seedHistory(pool: Pool, inboxRows: number, auditEvents: number): Promise<HistorySeed> {
  const startedAt = performance.now();
  await pool.query(
    `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                                next_attempt_at, processed_at, outcome)
     SELECT gen_random_uuid(), t, t, md5('h' || i) || md5('i' || i), (200000000000000 + i % 50000)::text,
            '{"object":"whatsapp_business_account","entry":[]}'::jsonb, 'DONE', 1, t, t, '[]'::jsonb
       FROM generate_series(1, $1::int) AS i,
            LATERAL (SELECT now() - interval '31 days' + (i * (interval '30 days' / $1::int))) AS s(t)`,
    [inboxRows],
  );
  await pool.query(
    `WITH orgs AS (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM organizations)
     INSERT INTO audit_events (id, organization_id, type, waba_id, source, actor, before, after, occurred_at)
     SELECT gen_random_uuid(), orgs.ids[1 + i % orgs.n], 'WABA_STATUS_CHANGED', (200000000000000 + i % 50000)::text,
            'WEBHOOK', 'meta-webhook', '{"status":"ACTIVE"}'::jsonb, '{"status":"DISABLED"}'::jsonb,
            now() - (i * interval '1 second')
       FROM orgs, generate_series(1, $1::int) AS i`,
    [auditEvents],
  );
  await pool.query('ANALYZE webhook_inbox, audit_events');
  return { inboxRows, auditEvents, seconds: (performance.now() - startedAt) / 1000 };
}

/** The worker's claim, the retention prune and the audit lists, as the service runs them, for EXPLAIN. */
export function processingPlanStatements(
  organizationId: string,
  wabaId: string,
): Array<{ name: string; text: string; values: unknown[] }> {
  return [
    {
      name: 'webhook inbox claim (192 WABAs, 16 rows each)',
      text: `WITH heads AS (
                  SELECT h.id, h.ordering_key, h.created_at FROM webhook_inbox h
                   WHERE h.status IN ('PENDING', 'PROCESSING') AND h.next_attempt_at <= now()
                     AND NOT EXISTS (SELECT 1 FROM webhook_inbox o
                                      WHERE o.ordering_key = h.ordering_key AND o.status IN ('PENDING', 'PROCESSING')
                                        AND (o.created_at, o.id) < (h.created_at, h.id))
                   ORDER BY h.created_at, h.id LIMIT 192 FOR UPDATE SKIP LOCKED),
                  followers AS (
                  SELECT f.id FROM heads CROSS JOIN LATERAL (
                         SELECT f.id FROM webhook_inbox f
                          WHERE f.ordering_key = heads.ordering_key AND f.status IN ('PENDING', 'PROCESSING')
                            AND (f.created_at, f.id) > (heads.created_at, heads.id) AND f.next_attempt_at <= now()
                            AND NOT EXISTS (SELECT 1 FROM webhook_inbox x
                                             WHERE x.ordering_key = f.ordering_key
                                               AND x.status IN ('PENDING', 'PROCESSING') AND x.next_attempt_at > now()
                                               AND (x.created_at, x.id) > (heads.created_at, heads.id)
                                               AND (x.created_at, x.id) < (f.created_at, f.id))
                          ORDER BY f.created_at, f.id LIMIT 15 FOR UPDATE SKIP LOCKED) f)
             UPDATE webhook_inbox AS w
                SET status = 'PROCESSING', attempts = w.attempts + 1, locked_by = 'bench', lease_token = gen_random_uuid(),
                    next_attempt_at = clock_timestamp() + interval '30 seconds', updated_at = now()
              WHERE w.id = ANY(ARRAY(SELECT id FROM heads UNION ALL SELECT id FROM followers))
          RETURNING w.id`,
      values: [],
    },
    {
      name: 'webhook inbox prune batch',
      text: `DELETE FROM webhook_inbox WHERE id = ANY(ARRAY(
               SELECT id FROM webhook_inbox WHERE status = 'DONE' AND processed_at < now() - interval '7 days'
                ORDER BY processed_at LIMIT 1000 FOR UPDATE SKIP LOCKED))
             RETURNING id`,
      values: [],
    },
    {
      name: 'audit events of an organization',
      text: `SELECT * FROM audit_events WHERE organization_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 51`,
      values: [organizationId],
    },
    {
      name: 'audit events of a WABA',
      text: `SELECT * FROM audit_events WHERE organization_id = $1 AND waba_id = $2
              ORDER BY occurred_at DESC, id DESC LIMIT 51`,
      values: [organizationId, wabaId],
    },
  ];
}

/**
 * Stores `changes` signed-delivery rows at once (DISABLED_UPDATE for seeded ACTIVE WABAs from `firstSeq`, as
 * the intake stores them), posts one more delivery through the API right after, and watches the `wabas` rows
 * until all are visible. The baseline applies the same writes per change through the driver.
 */
export async function runProcessingBench(
  serviceUrl: string,
  pool: Pool,
  simulator: MetaSimulator,
  options: { firstSeq: number; changes: number; driverCallers: number; kick: () => void },
): Promise<ProcessingBenchResult> {
  const time = Math.floor(Date.now() / 1000);
  const wabaIds: string[] = [];
  for (let seq = options.firstSeq; wabaIds.length < options.changes + 1; seq += 1) {
    // Seeded WABAs with seq % 25 = 0 are DISABLED already; a change must be visible.
    if (seq % 25 !== 0) {
      wabaIds.push(benchWabaId(seq));
    }
  }
  const probeId = wabaIds.pop() as string;
  const bodyOf = (wabaId: string): string =>
    JSON.stringify(
      simulator.buildWebhook(
        'account_update',
        { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'today' } },
        wabaId,
        time,
      ),
    );

  const driverChangesPerSecond = await driverChangeRate(pool, wabaIds.length, options.driverCallers);

  const startedAt = performance.now();
  await pool.query(
    `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                                next_attempt_at)
     SELECT gen_random_uuid(), clock_timestamp(), now(), md5('p' || k) || md5('q' || k), k, b::jsonb, 'PENDING', 0, now()
       FROM unnest($1::text[], $2::text[]) AS u(k, b)`,
    [wabaIds, wabaIds.map(bodyOf)],
  );
  options.kick();
  const probeBody = bodyOf(probeId);
  const response = await fetch(`${serviceUrl}/webhooks/meta`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': simulator.signWebhook(probeBody) },
    body: probeBody,
  });
  await response.arrayBuffer();
  if (response.status !== 200) {
    throw new Error(`The probe delivery was answered ${response.status}`);
  }
  const probePostedAt = performance.now();
  // Polls are kept light (one row, then one count) so that watching does not slow what it watches.
  await waitUntil(
    async () =>
      (await pool.query<{ status: string }>('SELECT status FROM wabas WHERE waba_id = $1', [probeId])).rows[0]
        ?.status === 'DISABLED',
    PROBE_POLL_MS,
  );
  const probeVisibleMs = performance.now() - probePostedAt;
  await waitUntil(
    async () =>
      (
        await pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM wabas WHERE waba_id = ANY($1::text[]) AND status = 'DISABLED'",
          [wabaIds],
        )
      ).rows[0].n === wabaIds.length,
    COUNT_POLL_MS,
  );
  const seconds = (performance.now() - startedAt) / 1000;
  return {
    changes: wabaIds.length,
    driverCallers: options.driverCallers,
    changesPerSecond: wabaIds.length / seconds,
    probeVisibleMs,
    driverChangesPerSecond,
  };
}

/**
 * The database's ceiling for one change: in one transaction per change, check the inbox row, lock and update
 * the WABA row, insert its audit event, then mark the row done, on throwaway copies of the tables.
 */
async function driverChangeRate(pool: Pool, changes: number, concurrency: number): Promise<number> {
  await pool.query(
    `CREATE TABLE bench_proc_wabas AS SELECT id, waba_id, status, ban_state, updated_at FROM wabas LIMIT $1`,
    [changes],
  );
  await pool.query('CREATE TABLE bench_proc_audit (LIKE audit_events INCLUDING ALL)');
  await pool.query(
    `CREATE TABLE bench_proc_inbox AS SELECT gen_random_uuid() AS id, 'PROCESSING'::text AS status, waba_id
       FROM bench_proc_wabas`,
  );
  await pool.query(
    'ALTER TABLE bench_proc_wabas ADD PRIMARY KEY (id); ALTER TABLE bench_proc_inbox ADD PRIMARY KEY (id)',
  );
  try {
    const { rows } = await pool.query<{ id: string; waba_id: string; inbox_id: string; organization_id: string }>(
      `SELECT w.id, w.waba_id, i.id AS inbox_id, (SELECT organization_id FROM wabas o WHERE o.id = w.id) AS organization_id
         FROM bench_proc_wabas w JOIN bench_proc_inbox i USING (waba_id)`,
    );
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const client = await pool.connect();
        try {
          for (let index = next++; index < rows.length; index = next++) {
            const row = rows[index];
            await client.query('BEGIN');
            await client.query("SELECT 1 FROM bench_proc_inbox WHERE id = $1 AND status = 'PROCESSING' FOR KEY SHARE", [
              row.inbox_id,
            ]);
            await client.query('SELECT * FROM bench_proc_wabas WHERE id = $1 FOR UPDATE', [row.id]);
            await client.query(
              "UPDATE bench_proc_wabas SET status = 'DISABLED', ban_state = 'DISABLE', updated_at = now() WHERE id = $1",
              [row.id],
            );
            await client.query(
              `INSERT INTO bench_proc_audit (id, organization_id, type, waba_id, source, actor, before, after, occurred_at)
               VALUES (gen_random_uuid(), $1, 'WABA_STATUS_CHANGED', $2, 'WEBHOOK', 'meta-webhook',
                       '{"status":"ACTIVE"}', '{"status":"DISABLED"}', now())`,
              [row.organization_id, row.waba_id],
            );
            await client.query('COMMIT');
            await client.query("UPDATE bench_proc_inbox SET status = 'DONE' WHERE id = $1", [row.inbox_id]);
          }
        } finally {
          client.release();
        }
      }),
    );
    return rows.length / ((performance.now() - startedAt) / 1000);
  } finally {
    await pool.query('DROP TABLE bench_proc_wabas, bench_proc_audit, bench_proc_inbox');
  }
}

async function waitUntil(done: () => Promise<boolean>, pollMs: number): Promise<void> {
  const deadline = performance.now() + WAIT_LIMIT_MS;
  while (!(await done())) {
    if (performance.now() > deadline) {
      throw new Error('Timed out waiting for the processing backlog to be visible');
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

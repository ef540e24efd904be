import { createHash, randomUUID } from 'node:crypto';

import { Client } from 'pg';

import { WebhookInboxRepository } from 'src/modules/meta-webhooks/webhook-inbox.repository';
import { WebhookInboxWorker } from 'src/modules/meta-webhooks/webhook-inbox.worker';
import { type LaneLease, WebhookLaneProcessor } from 'src/modules/meta-webhooks/webhook-lane.processor';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { recordStatements } from 'test/utils/sql-statements';

const LEASE_MS = 60_000;
const HELD: LaneLease = { isLost: () => false, release: () => undefined };
const BATCH_WABAS = 64;
const BATCHES = 6;

/** What runs on its own meanwhile (the throttle store's poll, the live-events relay) is not the batch's. */
const ownStatements = (texts: string[]) =>
  texts.filter((text) => !/^(UN)?LISTEN\b|pg_notify|meta_throttle_pauses/i.test(text)).length;

/**
 * What one batch of webhook changes costs the service (issue 13): 64 WABAs' DISABLED_UPDATE deliveries
 * (each leaves its WABA DISABLED: a status change audited, its MM_LITE numbers switched back) claimed and
 * applied by the lane processor, the app's own worker stopped; one WABA in eight has an MM_LITE number. The
 * statements per batch are counted (they do not depend on the machine's load); the CPU time per change is
 * printed, not asserted.
 */
describe('The cost of a batch of webhook changes (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let inbox: WebhookInboxRepository;
  let processor: WebhookLaneProcessor;
  const wabaIds: string[] = [];

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    const orgs = [await sut.createOrganization('Cost A'), await sut.createOrganization('Cost B')];
    await sut.app.get(WebhookInboxWorker, { strict: false }).beforeApplicationShutdown();
    await db.query("DELETE FROM webhook_inbox WHERE status IN ('PENDING', 'PROCESSING')");
    const count = BATCH_WABAS * (BATCHES + 1);
    await db.query(
      `INSERT INTO wabas (id, organization_id, waba_id, name, status, connection, access_token_sealed,
                          access_token_fingerprint, subscription_status, mm_lite_meta_status)
       SELECT gen_random_uuid(), (ARRAY[$1::uuid, $2::uuid])[1 + g % 2], (700000000000000 + g)::text,
              'Cost WABA ' || g, 'ACTIVE', 'CONNECTED', 'sealed', 'fp', 'SUBSCRIBED', 'ONBOARDED'
         FROM generate_series(0, $3::int - 1) g`,
      [orgs[0].id, orgs[1].id, count],
    );
    await db.query(
      `INSERT INTO phone_numbers (id, organization_id, waba_id, phone_number_id, display_phone_number,
                                  display_phone_digits, verified_name, quality_rating, status, platform_type,
                                  messaging_limit_tier, registration_status, pin_sealed, sending_channel)
       SELECT gen_random_uuid(), w.organization_id, w.id, (800000000000000 + row_number() OVER ())::text, '+1 555',
              '1555', w.name, 'GREEN', 'CONNECTED', 'CLOUD_API', 'TIER_1K', 'REGISTERED', 'sealed',
              CASE WHEN w.waba_id::bigint % 8 = 0 THEN 'MM_LITE' ELSE 'CLOUD_API' END::sending_channel
         FROM wabas w WHERE w.waba_id LIKE '7%'`,
    );
    for (let g = 0; g < count; g++) {
      wabaIds.push(String(700_000_000_000_000 + g));
    }
    inbox = sut.app.get(WebhookInboxRepository, { strict: false });
    processor = sut.app.get(WebhookLaneProcessor, { strict: false });
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  const store = async (ids: string[]): Promise<void> => {
    const time = Math.floor(Date.now() / 1000);
    for (const [index, wabaId] of ids.entries()) {
      const json = JSON.stringify(
        sut.simulator.buildWebhook(
          'account_update',
          { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'today' } },
          wabaId,
          time,
        ),
      );
      await db.query(
        `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                                    next_attempt_at)
         VALUES ($1, now() - interval '1 hour' + $2 * interval '1 millisecond', now(), $3, $4, $5::jsonb, 'PENDING', 0,
                 now() - interval '1 hour')`,
        [randomUUID(), index, createHash('sha256').update(json).digest('hex'), wabaId, json],
      );
    }
  };

  it('should apply a batch of 64 WABAs’ changes with a bounded number of statements', async () => {
    let cpuMicros = 0;
    for (let batch = 0; batch <= BATCHES; batch++) {
      await store(wabaIds.slice(batch * BATCH_WABAS, (batch + 1) * BATCH_WABAS));
      const claims = await inbox.claimBatch('cost', LEASE_MS, BATCH_WABAS, 16);
      expect(claims).toHaveLength(BATCH_WABAS);
      const cpu = process.cpuUsage();
      const log = await recordStatements(() => processor.process(claims, HELD));
      const used = process.cpuUsage(cpu);
      if (batch > 0) {
        // The first batch warms up the statements and the code paths.
        cpuMicros += used.user + used.system;
      }
      // One transaction: the leases, the WABAs locked and read as rows, their MM_LITE numbers (and those
      // numbers' WABAs, for their records), the rows finished, the WABAs and their audit records written
      // together, the numbers' records and writes.
      expect(log.count(/^BEGIN/i)).toBe(1);
      expect(log.count(/^COMMIT/i)).toBe(1);
      expect(log.count(/UPDATE wabas AS t/)).toBe(1);
      expect(log.count(/INSERT INTO audit_events/)).toBe(1);
      expect(log.count(/^update "wabas"/i)).toBe(0);
      expect(ownStatements(log.texts)).toBeLessThanOrEqual(10);
    }
    const done = await db.query<{ n: number; audited: number }>(
      `SELECT count(*)::int AS n,
              (SELECT count(*)::int FROM audit_events WHERE waba_id LIKE '7%' AND type = 'WABA_STATUS_CHANGED') AS audited
         FROM wabas WHERE waba_id LIKE '7%' AND status = 'DISABLED'`,
    );
    expect(done.rows[0]).toEqual({ n: wabaIds.length, audited: wabaIds.length });
    process.stdout.write(
      `[webhook batch cost] ${(cpuMicros / (BATCHES * BATCH_WABAS)).toFixed(0)} µs CPU per change ` +
        `(DISABLED_UPDATE, batches of ${BATCH_WABAS} WABAs)\n`,
    );
  });
});

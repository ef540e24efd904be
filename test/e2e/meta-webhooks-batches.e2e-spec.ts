import { createHash, randomUUID } from 'node:crypto';

import { Client } from 'pg';

import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import { WebhookInboxRepository, type WebhookInboxClaim } from 'src/modules/meta-webhooks/webhook-inbox.repository';
import { WebhookInboxWorker } from 'src/modules/meta-webhooks/webhook-inbox.worker';
import { type LaneLease, WebhookLaneProcessor } from 'src/modules/meta-webhooks/webhook-lane.processor';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

type InboxRow = {
  id: string;
  ordering_key: string;
  status: string;
  attempts: number;
  outcome: Array<{ outcome: string }> | null;
  last_error: string | null;
  xmin: string;
};

const LEASE_MS = 60_000;
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

/** A lease the test holds for the whole claim (nothing renews it, nothing is lost). */
const HELD: LaneLease = { isLost: () => false, release: () => undefined };

/**
 * Batch application of the inbox, driven directly: the app's own worker is stopped, rows are stored as the
 * intake stores them, claimed through the repository and applied by the lane processor, so that which rows
 * share a batch is decided by the test.
 */
describe('Meta webhooks applied in batches (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let inbox: WebhookInboxRepository;
  let processor: WebhookLaneProcessor;
  const wabaIds: string[] = [];
  const orgs: Array<{ id: string; key: string }> = [];
  let nextOffsetMs = 0;

  /** Stores deliveries as PENDING rows in this order, one WABA (ordering key) each; returns their ids. */
  const store = async (...payloads: Array<{ wabaId: string; payload: JsonObject }>): Promise<string[]> => {
    const ids: string[] = [];
    for (const { wabaId, payload } of payloads) {
      const id = randomUUID();
      const json = JSON.stringify(payload);
      nextOffsetMs += 1;
      await db.query(
        `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                                    next_attempt_at)
         VALUES ($1, now() - interval '1 hour' + $2 * interval '1 millisecond', now(), $3, $4, $5::jsonb, 'PENDING', 0,
                 now() - interval '1 hour')`,
        [id, nextOffsetMs, createHash('sha256').update(json).digest('hex'), wabaId, json],
      );
      ids.push(id);
    }
    return ids;
  };
  const rows = async (ids: string[]): Promise<InboxRow[]> =>
    (
      await db.query<InboxRow>(
        `SELECT id, ordering_key, status, attempts, outcome, last_error, xmin::text AS xmin
           FROM webhook_inbox WHERE id = ANY($1::uuid[]) ORDER BY array_position($1::uuid[], id)`,
        [ids],
      )
    ).rows;
  const waba = async (wabaId: string) =>
    (
      await db.query<{ account_review_status: string | null; country: string | null; xmin: string }>(
        'SELECT account_review_status, country, xmin::text AS xmin FROM wabas WHERE waba_id = $1',
        [wabaId],
      )
    ).rows[0];
  const review = (wabaId: string, decision: string, at: Date) => ({
    wabaId,
    payload: sut.simulator.buildWebhook('account_review_update', { decision }, wabaId, seconds(at)),
  });
  const country = (wabaId: string, code: string, at: Date) => ({
    wabaId,
    payload: sut.simulator.buildWebhook(
      'account_update',
      { event: 'BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE', country: code },
      wabaId,
      seconds(at),
    ),
  });

  const ban = (wabaId: string, state: string, at: Date) => ({
    wabaId,
    payload: sut.simulator.buildWebhook(
      'account_update',
      { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: state, waba_ban_date: 'today' } },
      wabaId,
      seconds(at),
    ),
  });
  const statusTrail = async (wabaId: string) =>
    (
      await db.query<{ organization_id: string; before: unknown; after: unknown; source: string }>(
        `SELECT organization_id, before, after, source FROM audit_events
          WHERE waba_id = $1 AND type = 'WABA_STATUS_CHANGED' ORDER BY occurred_at, id`,
        [wabaId],
      )
    ).rows;
  const xminOf = async (wabaId: string) =>
    (await db.query<{ xmin: string }>('SELECT xmin::text AS xmin FROM wabas WHERE waba_id = $1', [wabaId])).rows[0]
      .xmin;

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    for (const name of ['Batch A', 'Batch B', 'Batch C']) {
      const { id, key } = await sut.createOrganization(name);
      orgs.push({ id, key });
      const session = sut.simulator.createSignupSession({ wabaName: name });
      await sut
        .http()
        .post('/api/v1/phone-numbers')
        .set('Authorization', `Bearer ${key}`)
        .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
        .expect(201);
      wabaIds.push(session.wabaId);
    }
    // The test claims and applies the rows itself.
    await sut.app.get(WebhookInboxWorker, { strict: false }).beforeApplicationShutdown();
    await db.query("DELETE FROM webhook_inbox WHERE status IN ('PENDING', 'PROCESSING')");
    inbox = sut.app.get(WebhookInboxRepository, { strict: false });
    processor = sut.app.get(WebhookLaneProcessor, { strict: false });
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  afterEach(async () => {
    await db.query('DROP TRIGGER IF EXISTS refuse_country ON wabas');
  });

  it("should apply several WABAs' deliveries in one transaction, each WABA's in delivery order", async () => {
    const [a, b] = wabaIds;
    // Meta's times after the signup's read, which dated the facts.
    const t = new Date(Date.now() + 60_000);
    const ids = await store(
      review(a, 'REJECTED', t),
      review(b, 'PENDING', t),
      review(a, 'APPROVED', new Date(t.getTime() + 5_000)),
      review(b, 'APPROVED', new Date(t.getTime() + 5_000)),
    );

    const claims = await inbox.claimBatch('test', LEASE_MS, 10, 16);
    expect(claims.map((claim) => claim.id)).toEqual(ids);
    await processor.process(claims, HELD);

    const done = await rows(ids);
    expect(done.map((row) => [row.status, row.attempts, row.outcome?.[0]?.outcome])).toEqual(
      ids.map(() => ['DONE', 1, 'APPLIED']),
    );
    expect(await waba(a)).toMatchObject({ account_review_status: 'APPROVED' });
    expect(await waba(b)).toMatchObject({ account_review_status: 'APPROVED' });
    // One transaction wrote every row: the WABAs and the inbox rows carry the same xmin.
    const xmins = new Set([...done.map((row) => row.xmin), (await waba(a)).xmin, (await waba(b)).xmin]);
    expect(xmins.size).toBe(1);
    const trail = await db.query<{ before: unknown; after: unknown }>(
      `SELECT before, after FROM audit_events WHERE waba_id = $1 AND type = 'WABA_UPDATED'
        ORDER BY occurred_at, id`,
      [a],
    );
    expect(trail.rows.slice(-2)).toEqual([
      { before: expect.anything(), after: { accountReviewStatus: 'REJECTED' } },
      { before: { accountReviewStatus: 'REJECTED' }, after: { accountReviewStatus: 'APPROVED' } },
    ]);
  });

  it('should keep an older event that arrives later in the same batch from overriding a newer one', async () => {
    const [, , c] = wabaIds;
    const t = new Date(Date.now() + 120_000);
    const ids = await store(country(c, 'DE', t), country(c, 'FR', new Date(t.getTime() - 10_000)));

    await processor.process(await inbox.claimBatch('test', LEASE_MS, 10, 16), HELD);

    expect((await rows(ids)).map((row) => [row.status, row.outcome?.[0]?.outcome])).toEqual([
      ['DONE', 'APPLIED'],
      ['DONE', 'STALE'],
    ]);
    expect(await waba(c)).toMatchObject({ country: 'DE' });
  });

  it('should apply the rest of a batch when one delivery fails, and keep the failed WABA waiting for its retry', async () => {
    const [a, b] = wabaIds;
    await db.query(`
      CREATE OR REPLACE FUNCTION refuse_country() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.country = 'ZZ' THEN RAISE EXCEPTION 'country refused by the test'; END IF;
        RETURN NEW;
      END $$`);
    await db.query(
      'CREATE TRIGGER refuse_country BEFORE UPDATE ON wabas FOR EACH ROW EXECUTE FUNCTION refuse_country()',
    );
    const t = new Date();
    // Newer than the review the first test applied, older than the last test's.
    const later = new Date(t.getTime() + 90_000);
    const [good, bad, behind] = await store(country(a, 'IT', t), country(b, 'ZZ', t), review(b, 'PENDING', later));

    const claims = await inbox.claimBatch('test', LEASE_MS, 10, 16);
    expect(claims).toHaveLength(3);
    await processor.process(claims, HELD);

    const [applied, failed, waiting] = await rows([good, bad, behind]);
    expect(applied).toMatchObject({ status: 'DONE', attempts: 1 });
    expect(await waba(a)).toMatchObject({ country: 'IT' });
    // The failing row waits for its retry; the WABA's later row is handed back unapplied, behind it.
    expect(failed).toMatchObject({ status: 'PENDING', attempts: 1 });
    expect(failed.last_error).toContain('country refused by the test');
    expect(waiting).toMatchObject({ status: 'PENDING', attempts: 0 });
    expect(await waba(b)).toMatchObject({ account_review_status: 'APPROVED' });
    expect(await inbox.claimBatch('test', LEASE_MS, 10, 16)).toEqual([]);

    await db.query('DROP TRIGGER refuse_country ON wabas');
    await db.query('UPDATE webhook_inbox SET next_attempt_at = now() WHERE id = $1', [bad]);
    const retried = await inbox.claimBatch('test', LEASE_MS, 10, 16);
    expect(retried.map((claim) => claim.id)).toEqual([bad, behind]);
    await processor.process(retried, HELD);
    expect((await rows([bad, behind])).map((row) => row.status)).toEqual(['DONE', 'DONE']);
    expect(await waba(b)).toMatchObject({ country: 'ZZ', account_review_status: 'PENDING' });
  });

  it('should give each WABA’s rows to one of two concurrent claims, and apply every row once', async () => {
    // Newer than every review the earlier tests applied.
    const t = new Date(Date.now() + 600_000);
    const ids = await store(
      ...wabaIds.flatMap((wabaId, index) => [
        review(wabaId, 'DEFERRED', new Date(t.getTime() + 1_000 * index)),
        review(wabaId, 'REJECTED', new Date(t.getTime() + 1_000 * index + 1)),
      ]),
    );

    const [first, second] = await Promise.all([
      inbox.claimBatch('first', LEASE_MS, 2, 16),
      inbox.claimBatch('second', LEASE_MS, 2, 16),
    ]);
    const more = await inbox.claimBatch('third', LEASE_MS, 10, 16);
    const claims: WebhookInboxClaim[][] = [first, second, more];

    const claimedIds = claims.flat().map((claim) => claim.id);
    expect(claimedIds.sort()).toEqual([...ids].sort());
    for (const wabaId of wabaIds) {
      // A WABA's rows are all in one claim.
      expect(claims.filter((claim) => claim.some((row) => row.orderingKey === wabaId))).toHaveLength(1);
    }
    await Promise.all(claims.map((claim) => processor.process(claim, HELD)));

    expect((await rows(ids)).map((row) => [row.status, row.attempts])).toEqual(ids.map(() => ['DONE', 1]));
    for (const wabaId of wabaIds) {
      expect(await waba(wabaId)).toMatchObject({ account_review_status: 'REJECTED' });
    }
  });

  it("should apply a WABA's changes of one batch in delivery order, keep an older one STALE, and write the WABA once", async () => {
    const [, , c] = wabaIds;
    const t = new Date(Date.now() + 700_000);
    const ids = await store(
      ban(c, 'DISABLE', t),
      ban(c, 'REINSTATE', new Date(t.getTime() + 5_000)),
      ban(c, 'DISABLE', new Date(t.getTime() - 5_000)),
      country(c, 'NL', new Date(t.getTime() + 6_000)),
    );

    const claims = await inbox.claimBatch('test', LEASE_MS, 10, 16);
    expect(claims.map((claim) => claim.id)).toEqual(ids);
    await processor.process(claims, HELD);

    const done = await rows(ids);
    expect(done.map((row) => [row.status, row.attempts, row.outcome?.[0]?.outcome])).toEqual([
      ['DONE', 1, 'APPLIED'],
      ['DONE', 1, 'APPLIED'],
      ['DONE', 1, 'STALE'],
      ['DONE', 1, 'APPLIED'],
    ]);
    const stored = await db.query<{ status: string; status_reason: string | null; ban_state: string; country: string }>(
      'SELECT status, status_reason, ban_state, country FROM wabas WHERE waba_id = $1',
      [c],
    );
    expect(stored.rows[0]).toEqual({ status: 'ACTIVE', status_reason: null, ban_state: 'REINSTATE', country: 'NL' });
    // Disabled, then active again, in delivery order; the older DISABLE changed nothing and recorded nothing.
    expect(await statusTrail(c)).toEqual([
      {
        organization_id: orgs[2].id,
        before: { status: 'ACTIVE', statusReason: null },
        after: { status: 'DISABLED', statusReason: 'BANNED' },
        source: 'WEBHOOK',
      },
      {
        organization_id: orgs[2].id,
        before: { status: 'DISABLED', statusReason: 'BANNED' },
        after: { status: 'ACTIVE', statusReason: null },
        source: 'WEBHOOK',
      },
    ]);
    // Written once, by the batch's transaction, which also finished the rows.
    expect(new Set([...done.map((row) => row.xmin), await xminOf(c)]).size).toBe(1);
  });

  it('should audit each WABA of a batch mixing two organizations under its own organization', async () => {
    const [a, b] = wabaIds;
    const t = new Date(Date.now() + 700_000);
    const ids = await store(ban(a, 'DISABLE', t), ban(b, 'DISABLE', t));

    await processor.process(await inbox.claimBatch('test', LEASE_MS, 10, 16), HELD);

    const done = await rows(ids);
    expect(done.map((row) => row.status)).toEqual(['DONE', 'DONE']);
    expect(new Set([...done.map((row) => row.xmin), await xminOf(a), await xminOf(b)]).size).toBe(1);
    expect((await statusTrail(a)).map((record) => record.organization_id)).toEqual([orgs[0].id]);
    expect((await statusTrail(b)).map((record) => record.organization_id)).toEqual([orgs[1].id]);
    // Each organization sees its own WABA's record, and not the other's.
    for (const [index, wabaId] of [a, b].entries()) {
      const own = await sut
        .http()
        .get(`/api/v1/audit-events?wabaId=${wabaId}&type=WABA_STATUS_CHANGED`)
        .set('Authorization', `Bearer ${orgs[index].key}`)
        .expect(200);
      expect(own.body.data).toHaveLength(1);
      const other = await sut
        .http()
        .get(`/api/v1/audit-events?wabaId=${wabaId}&type=WABA_STATUS_CHANGED`)
        .set('Authorization', `Bearer ${orgs[1 - index].key}`)
        .expect(200);
      expect(other.body.data).toEqual([]);
    }
  });
});

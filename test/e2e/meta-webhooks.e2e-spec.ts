import { createHash, randomUUID } from 'node:crypto';

import { Client } from 'pg';

import type { WebhookDelivery } from 'src/meta-simulator/meta-simulator.types';
import { createTestApp, TEST_VERIFY_TOKEN, type TestApp } from 'test/utils/create-test-app';
import { dropTestDatabase } from 'test/utils/test-database';

type Connected = { key: string; wabaId: string; phoneNumberId: string; businessId: string };
type InboxRow = { status: string; attempts: number; outcome: Array<Record<string, unknown>> | null };

const POLL_MS = 20;
const WAIT_LIMIT_MS = 10_000;

/** Polls `read` until `done` holds or the bounded wait runs out; returns the last value. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    value = await read();
  }
  return value;
}

const sha256 = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

describe('Meta webhooks (e2e)', () => {
  let sut: TestApp;
  let db: Client;

  const get = (key: string, path: string) => sut.http().get(path).set('Authorization', `Bearer ${key}`);
  const waba = async (connected: Connected) =>
    (await get(connected.key, `/api/v1/wabas/${connected.wabaId}`).expect(200)).body as Record<string, unknown>;
  const phone = async (connected: Connected) =>
    (await get(connected.key, `/api/v1/phone-numbers/${connected.phoneNumberId}`).expect(200)).body as Record<
      string,
      unknown
    >;
  const audits = async (connected: Connected, type?: string) => {
    const query = new URLSearchParams({ wabaId: connected.wabaId, ...(type ? { type } : {}) });
    const response = await get(connected.key, `/api/v1/audit-events?${query.toString()}`).expect(200);
    return response.body.data as Array<Record<string, unknown>>;
  };
  const inboxRow = async (body: string): Promise<InboxRow | null> => {
    const result = await db.query<InboxRow>(
      'SELECT status, attempts, outcome FROM webhook_inbox WHERE payload_sha256 = $1',
      [sha256(body)],
    );
    return result.rows[0] ?? null;
  };
  /** Waits until the delivery's inbox row is DONE and returns it. */
  const processed = async (delivery: WebhookDelivery | null): Promise<InboxRow> => {
    expect(delivery?.status).toBe(200);
    const row = await waitFor(
      () => inboxRow(delivery?.body ?? ''),
      (value) => value?.status === 'DONE',
    );
    expect(row?.status).toBe('DONE');
    return row as InboxRow;
  };
  const inboxCount = async () => Number((await db.query('SELECT count(*)::int AS n FROM webhook_inbox')).rows[0].n);

  const connect = async (name = 'Webhooks'): Promise<Connected> => {
    const { key } = await sut.createOrganization(name);
    const session = sut.simulator.createSignupSession({ wabaName: `${name} WABA` });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { key, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId, businessId: session.businessId };
  };

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  beforeEach(() => {
    sut.simulator.clearFaults();
    sut.simulator.clearRequests();
  });

  describe('verification handshake', () => {
    it('should echo hub.challenge as text/plain when the verify token matches', async () => {
      const response = await sut
        .http()
        .get('/webhooks/meta')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': TEST_VERIFY_TOKEN, 'hub.challenge': '1158201444' })
        .expect(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toBe('1158201444');
    });

    it.each([
      ['a wrong token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' }],
      ['a wrong mode', { 'hub.mode': 'unsubscribe', 'hub.verify_token': TEST_VERIFY_TOKEN, 'hub.challenge': '1' }],
      ['no parameters', {}],
    ])('should answer 403 for %s', async (_case, query) => {
      const response = await sut.http().get('/webhooks/meta').query(query).expect(403);
      expect(response.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
      expect(response.text).not.toContain('1158201444');
    });

    it('should answer 400 naming hub.challenge when the token matches but the challenge is missing', async () => {
      const response = await sut
        .http()
        .get('/webhooks/meta')
        .query({ 'hub.mode': 'subscribe', 'hub.verify_token': TEST_VERIFY_TOKEN })
        .expect(400);
      expect(response.body.errors).toEqual([{ field: 'hub.challenge', message: expect.any(String) }]);
    });
  });

  describe('signature', () => {
    it('should answer 401 and store nothing for a wrong, malformed or missing signature', async () => {
      const connected = await connect('Signatures');
      const payload = sut.simulator.buildWebhook(
        'account_update',
        { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'April 17, 2025' } },
        connected.wabaId,
      );
      const before = await inboxCount();
      const body = JSON.stringify(payload);
      for (const signature of [
        `sha256=${'0'.repeat(64)}`,
        sut.simulator.signWebhook(`${body} `),
        'sha1=abc',
        'garbage',
      ]) {
        const delivery = await sut.simulator.sendWebhook(payload, { signature });
        expect(delivery.status).toBe(401);
      }
      const unsigned = await sut.http().post('/webhooks/meta').set('Content-Type', 'application/json').send(body);
      expect(unsigned.status).toBe(401);
      expect(unsigned.headers['content-type']).toContain('application/problem+json');
      expect(unsigned.body.code).toBe('UNAUTHENTICATED');

      expect(await inboxCount()).toBe(before);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
      expect(await audits(connected, 'WABA_STATUS_CHANGED')).toHaveLength(0);
    });

    it('should accept a signed delivery larger than the public API body limit (Meta batches up to ~3 MB)', async () => {
      const connected = await connect('BigBatch');
      const payload = sut.simulator.buildWebhook(
        'account_update',
        {
          event: 'DISABLED_UPDATE',
          ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'April 17, 2025' },
          padding: 'x'.repeat(600_000),
        },
        connected.wabaId,
      );
      const delivery = await sut.simulator.sendWebhook(payload);
      expect(delivery.status).toBe(200);
      await processed(delivery);
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'BANNED' });
    });

    it('should verify the exact raw bytes (whitespace and key order as sent)', async () => {
      const connected = await connect('RawBytes');
      const raw = `{ "entry": [ { "time": ${seconds(new Date())}, "changes": [ { "field": "account_update", "value": { "ban_info": { "waba_ban_date": "April 17, 2025", "waba_ban_state": "DISABLE" }, "event": "DISABLED_UPDATE" } } ], "id": "${connected.wabaId}" } ],\n "object": "whatsapp_business_account" }`;
      await processed(await sut.simulator.sendWebhook(raw));
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'BANNED' });
    });
  });

  describe('account_update', () => {
    it('should disable, warn and reinstate from DISABLED_UPDATE with one WEBHOOK audit record each', async () => {
      const connected = await connect('Bans');

      const sentAt = Date.now();
      const disable = await sut.simulator.applyEvent(connected.wabaId, 'DISABLE');
      const visible = await waitFor(
        () => waba(connected),
        (body) => body.status === 'DISABLED',
      );
      const latencyMs = Date.now() - sentAt;
      process.stdout.write(`[meta-webhooks e2e] webhook-to-visible-status latency: ${latencyMs} ms\n`);
      expect(visible).toMatchObject({ status: 'DISABLED', statusReason: 'BANNED' });
      await processed(disable);

      const records = await audits(connected, 'WABA_STATUS_CHANGED');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        source: 'WEBHOOK',
        actor: 'meta-webhook',
        before: { status: 'ACTIVE', statusReason: null },
        after: { status: 'DISABLED', statusReason: 'BANNED' },
      });

      await processed(await sut.simulator.applyEvent(connected.wabaId, 'REINSTATE'));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
      await processed(await sut.simulator.applyEvent(connected.wabaId, 'SCHEDULE_FOR_DISABLE'));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: 'SCHEDULED_FOR_DISABLE' });

      // Newest first, in the order the deliveries were received.
      const all = await audits(connected, 'WABA_STATUS_CHANGED');
      expect(all.map((record) => (record.after as { statusReason: string | null }).statusReason)).toEqual([
        'SCHEDULED_FOR_DISABLE',
        null,
        'BANNED',
      ]);
      expect(all.every((record) => record.source === 'WEBHOOK' && record.actor === 'meta-webhook')).toBe(true);
    });

    it('should mark a WABA RESTRICTED while an ACCOUNT_RESTRICTION has not expired', async () => {
      const connected = await connect('Restricted');
      await processed(
        await sut.simulator.applyEvent(connected.wabaId, 'ACCOUNT_RESTRICTION', { expiresInSeconds: 3600 }),
      );
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: 'RESTRICTED' });
      expect(await audits(connected, 'WABA_STATUS_CHANGED')).toHaveLength(1);
    });

    it.each(['PARTNER_REMOVED', 'ACCOUNT_DELETED', 'ACCOUNT_OFFBOARDED'] as const)(
      'should disable a WABA as DISCONNECTED on %s',
      async (event) => {
        const connected = await connect(`Gone ${event}`);
        const row = await processed(await sut.simulator.applyEvent(connected.wabaId, event));
        expect(row.outcome).toEqual([{ field: 'account_update', event, wabaId: connected.wabaId, outcome: 'APPLIED' }]);
        expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'DISCONNECTED' });
        const records = await audits(connected, 'WABA_STATUS_CHANGED');
        expect(records).toHaveLength(1);
        expect(records[0]).toMatchObject({ source: 'WEBHOOK', after: { status: 'DISABLED' } });
      },
    );

    it('should make an offboarded WABA active again on ACCOUNT_RECONNECTED', async () => {
      const connected = await connect('Reconnected');
      await processed(await sut.simulator.applyEvent(connected.wabaId, 'ACCOUNT_OFFBOARDED'));
      await processed(await sut.simulator.applyEvent(connected.wabaId, 'ACCOUNT_RECONNECTED'));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
      expect(await audits(connected, 'WABA_STATUS_CHANGED')).toHaveLength(2);
    });

    it('should keep the status on ACCOUNT_VIOLATION (a strike, not a ban) and still store the delivery', async () => {
      const connected = await connect('Violation');
      const row = await processed(await sut.simulator.applyEvent(connected.wabaId, 'ACCOUNT_VIOLATION'));
      expect(row.outcome?.[0]).toMatchObject({ event: 'ACCOUNT_VIOLATION', outcome: 'IGNORED' });
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE' });
      expect((await audits(connected)).filter((record) => record.source === 'WEBHOOK')).toEqual([]);
    });

    it('should re-read the MM Lite status from Meta at once on MM_LITE_TERMS_SIGNED', async () => {
      const connected = await connect('Terms');
      expect(await waba(connected)).toMatchObject({ mmLiteStatus: null });
      sut.simulator.clearRequests();

      const row = await processed(await sut.simulator.applyEvent(connected.wabaId, 'MM_LITE_TERMS_SIGNED'));
      expect(row.outcome?.[0]).toMatchObject({ event: 'MM_LITE_TERMS_SIGNED', outcome: 'RESYNCED' });
      const reads = sut.simulator.requests.filter(
        (entry) =>
          entry.method === 'GET' &&
          entry.path === `/${connected.wabaId}` &&
          (entry.query.fields ?? '').includes('marketing_messages_onboarding_status'),
      );
      expect(reads.length).toBeGreaterThanOrEqual(1);

      const body = await waba(connected);
      expect(body).toMatchObject({ mmLiteStatus: 'NOT_ONBOARDED' });
      expect(body.mmLite).toMatchObject({ metaStatus: 'PENDING_INTERNAL_SETUP' });
      const records = await audits(connected, 'MM_LITE_STATUS_CHANGED');
      expect(records).toHaveLength(1);
      // The new status comes from the read, which the webhook asked for.
      expect(records[0]).toMatchObject({
        source: 'SYNC',
        actor: 'meta-webhook',
        before: { mmLiteStatus: null },
        after: { mmLiteStatus: 'NOT_ONBOARDED', metaStatus: 'PENDING_INTERNAL_SETUP' },
      });
    });

    it('should record the terms as signed when Meta cannot be re-read after MM_LITE_TERMS_SIGNED', async () => {
      const connected = await connect('TermsOffline');
      sut.simulator.injectFault({ kind: 'http500', path: connected.wabaId });
      const row = await processed(await sut.simulator.applyEvent(connected.wabaId, 'MM_LITE_TERMS_SIGNED'));
      expect(row.outcome?.[0]).toMatchObject({ outcome: 'APPLIED' });
      expect(await waba(connected)).toMatchObject({ mmLiteStatus: 'NOT_ONBOARDED' });
      expect(await audits(connected, 'MM_LITE_STATUS_CHANGED')).toHaveLength(1);
    });
  });

  describe('phone number and account fields', () => {
    it('should re-read the rating on phone_number_quality_update and audit the change once', async () => {
      const connected = await connect('Quality');
      const row = await processed(
        await sut.simulator.applyEvent(connected.wabaId, 'QUALITY_CHANGED', { qualityRating: 'RED' }),
      );
      expect(row.outcome?.[0]).toMatchObject({ field: 'phone_number_quality_update', outcome: 'RESYNCED' });
      expect(await phone(connected)).toMatchObject({ qualityRating: 'RED' });
      // The webhook carries no rating: the value comes from the read it asked for.
      const records = (await audits(connected, 'PHONE_NUMBER_UPDATED')).filter(
        (record) => (record.after as { qualityRating?: string } | null)?.qualityRating !== undefined,
      );
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        phoneNumberId: connected.phoneNumberId,
        source: 'SYNC',
        actor: 'meta-webhook',
        after: { qualityRating: 'RED' },
      });
    });

    it('should apply THROUGHPUT_UPGRADE from the payload', async () => {
      const connected = await connect('Throughput');
      await processed(await sut.simulator.applyEvent(connected.wabaId, 'THROUGHPUT_UPGRADE'));
      expect(await phone(connected)).toMatchObject({ throughputLevel: 'HIGH' });
      const records = (await audits(connected, 'PHONE_NUMBER_UPDATED')).filter((record) => record.source === 'WEBHOOK');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ after: { throughputLevel: 'HIGH' } });
    });

    it.each([
      ['NAME_APPROVED', 'APPROVED'],
      ['NAME_REJECTED', 'DECLINED'],
    ] as const)('should apply phone_number_name_update from %s', async (event, nameStatus) => {
      const connected = await connect(`Name ${event}`);
      await processed(await sut.simulator.applyEvent(connected.wabaId, event));
      expect(await phone(connected)).toMatchObject({ nameStatus });
      const records = (await audits(connected, 'PHONE_NUMBER_UPDATED')).filter((record) => record.source === 'WEBHOOK');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ after: { nameStatus } });
    });

    it('should apply account_review_update and audit it as WABA_UPDATED', async () => {
      const connected = await connect('Review');
      await processed(await sut.simulator.applyEvent(connected.wabaId, 'ACCOUNT_REVIEW', { decision: 'REJECTED' }));
      expect(await waba(connected)).toMatchObject({ accountReviewStatus: 'REJECTED' });
      const records = await audits(connected, 'WABA_UPDATED');
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ source: 'WEBHOOK', after: { accountReviewStatus: 'REJECTED' } });
    });

    it('should re-read the WABA and its numbers on business_capability_update', async () => {
      const connected = await connect('Capability');
      sut.simulator.clearRequests();
      const row = await processed(await sut.simulator.applyEvent(connected.wabaId, 'CAPABILITY_UPDATE'));
      expect(row.outcome?.[0]).toMatchObject({ field: 'business_capability_update', outcome: 'RESYNCED' });
      expect(
        sut.simulator.requests.filter((entry) => entry.path === `/${connected.wabaId}/phone_numbers`).length,
      ).toBeGreaterThanOrEqual(1);
    });
  });

  describe('delivery semantics', () => {
    it('should store a duplicate delivery once and change the status once', async () => {
      const connected = await connect('Duplicates');
      const payload = sut.simulator.buildWebhook(
        'account_update',
        { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'April 17, 2025' } },
        connected.wabaId,
      );
      const first = await sut.simulator.sendWebhook(payload);
      const second = await sut.simulator.sendWebhook(payload);
      expect([first.status, second.status]).toEqual([200, 200]);
      await processed(first);
      const replay = await sut
        .http()
        .post('/webhooks/meta')
        .set('Content-Type', 'application/json')
        .set('X-Hub-Signature-256', first.signature)
        .send(first.body)
        .expect(200);
      expect(replay.body).toEqual({ received: true, duplicate: true });

      const rows = await db.query('SELECT count(*)::int AS n FROM webhook_inbox WHERE payload_sha256 = $1', [
        sha256(first.body),
      ]);
      expect(rows.rows[0].n).toBe(1);
      expect(await audits(connected, 'WABA_STATUS_CHANGED')).toHaveLength(1);
    });

    it('should end in the latest ban state when deliveries arrive out of order', async () => {
      const connected = await connect('OutOfOrder');
      const now = seconds(new Date());
      const ban = (state: string, time: number) =>
        sut.simulator.buildWebhook(
          'account_update',
          { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: state, waba_ban_date: 'April 17, 2025' } },
          connected.wabaId,
          time,
        );
      // Meta disabled the WABA (t-60), then reinstated it (t); the reinstatement arrives first.
      await processed(await sut.simulator.sendWebhook(ban('REINSTATE', now)));
      const stale = await processed(await sut.simulator.sendWebhook(ban('DISABLE', now - 60)));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
      expect(await audits(connected, 'WABA_STATUS_CHANGED')).toHaveLength(0);

      // A newer disable wins, and an older schedule-for-disable after it does not undo it.
      await processed(await sut.simulator.sendWebhook(ban('DISABLE', now + 60)));
      await processed(await sut.simulator.sendWebhook(ban('SCHEDULE_FOR_DISABLE', now + 30)));
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'BANNED' });
      expect(await audits(connected, 'WABA_STATUS_CHANGED')).toHaveLength(1);
    });

    it('should keep older phone number webhooks from overriding newer ones', async () => {
      const connected = await connect('PhoneOrder');
      const display = String((await phone(connected)).displayPhoneNumber).replace(/\D/g, '');
      const name = (decision: string, time: number) =>
        sut.simulator.buildWebhook(
          'phone_number_name_update',
          {
            display_phone_number: display,
            decision,
            requested_verified_name: 'PhoneOrder WABA',
            rejection_reason: null,
          },
          connected.wabaId,
          time,
        );
      const now = seconds(new Date());
      await processed(await sut.simulator.sendWebhook(name('APPROVED', now)));
      const stale = await processed(await sut.simulator.sendWebhook(name('REJECTED', now - 10)));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await phone(connected)).toMatchObject({ nameStatus: 'APPROVED' });
    });

    it('should answer 200 for an unknown WABA and an unknown field, keep them and change nothing', async () => {
      const unknownWaba = await sut.simulator.sendWebhook(
        sut.simulator.buildWebhook(
          'account_update',
          { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE' } },
          '999000111222333',
        ),
      );
      const unknownWabaRow = await processed(unknownWaba);
      expect(unknownWabaRow.outcome).toEqual([
        { field: 'account_update', event: 'DISABLED_UPDATE', wabaId: '999000111222333', outcome: 'UNKNOWN_WABA' },
      ]);

      const connected = await connect('UnknownField');
      const unknownField = await processed(
        await sut.simulator.sendWebhook(
          // Template webhooks are applied since 2026-12-04; `flows` is a field this service does not act on.
          sut.simulator.buildWebhook('flows', { event: 'FLOW_STATUS_CHANGE' }, connected.wabaId),
        ),
      );
      expect(unknownField.outcome?.[0]).toMatchObject({ outcome: 'IGNORED' });
      const notAnEnvelope = await processed(await sut.simulator.sendWebhook({ hello: 'world' }));
      expect(notAnEnvelope.outcome).toEqual([]);
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE' });
    });

    it('should route partner events by waba_info.waba_id rather than the partner entry.id', async () => {
      const connected = await connect('Partner');
      const delivery = await sut.simulator.applyEvent(connected.wabaId, 'PARTNER_REMOVED');
      const payload = JSON.parse(delivery?.body ?? '{}') as { entry: Array<{ id: string }> };
      expect(payload.entry[0]?.id).not.toBe(connected.wabaId);
      await processed(delivery);
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'DISCONNECTED' });
    });
  });

  describe('listeners', () => {
    it('should switch MM_LITE numbers back to CLOUD_API when their WABA becomes DISABLED, once', async () => {
      const connected = await connect('Listener');
      await processed(await sut.simulator.applyEvent(connected.wabaId, 'MM_LITE_ONBOARDED'));
      expect(await waba(connected)).toMatchObject({ mmLiteStatus: 'ONBOARDED' });
      await sut
        .http()
        .patch(`/api/v1/phone-numbers/${connected.phoneNumberId}`)
        .set('Authorization', `Bearer ${connected.key}`)
        .send({ sendingChannel: 'MM_LITE' })
        .expect(200);

      await processed(await sut.simulator.applyEvent(connected.wabaId, 'DISABLE'));
      const switched = await waitFor(
        () => phone(connected),
        (body) => body.sendingChannel === 'CLOUD_API',
      );
      expect(switched).toMatchObject({ sendingChannel: 'CLOUD_API' });
      const records = await waitFor(
        () => audits(connected, 'SENDING_CHANNEL_CHANGED'),
        (rows) => rows.length >= 2,
      );
      expect(records).toHaveLength(2);
      expect(records[0]).toMatchObject({
        source: 'WEBHOOK',
        actor: 'system:waba-disabled',
        before: { sendingChannel: 'MM_LITE' },
        after: { sendingChannel: 'CLOUD_API' },
      });
    });
  });
});

describe('Meta webhooks inbox across restarts (e2e)', () => {
  it('should process rows left by a killed worker (expired lease) and pending rows after a restart', async () => {
    const first = await createTestApp();
    const { key } = await first.createOrganization('Restarts');
    const session = first.simulator.createSignupSession();
    await first
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    const simulator = first.simulator;
    await first.close({ keepDatabase: true, keepSimulator: true });

    const now = seconds(new Date());
    const disable = JSON.stringify(
      simulator.buildWebhook(
        'account_update',
        { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE' } },
        session.wabaId,
        now,
      ),
    );
    const review = JSON.stringify(
      simulator.buildWebhook('account_review_update', { decision: 'REJECTED' }, session.wabaId, now),
    );
    const held = JSON.stringify(
      simulator.buildWebhook('account_review_update', { decision: 'PENDING' }, session.wabaId, now + 1),
    );
    const db = new Client({ connectionString: first.databaseUrl });
    await db.connect();
    let second: TestApp | null = null;
    try {
      const insert = (body: string, status: string, attempts: number, nextAttemptAt: string, lockedBy: string | null) =>
        db.query(
          `INSERT INTO webhook_inbox (id, payload_sha256, ordering_key, payload, status, attempts, next_attempt_at,
                                      locked_by)
           VALUES ($1, $2, $3, $4::jsonb, $5, $6, ${nextAttemptAt}, $7)`,
          [randomUUID(), sha256(body), session.wabaId, body, status, attempts, lockedBy],
        );
      // Claimed by a process that died mid-way: its lease has expired.
      await insert(disable, 'PROCESSING', 1, "now() - interval '1 second'", 'dead-instance');
      // Stored but never processed (the app stopped before its worker ran).
      await insert(review, 'PENDING', 0, 'now()', null);
      // Claimed by a live instance whose lease still runs: must not be taken over.
      await insert(held, 'PROCESSING', 1, "now() + interval '1 hour'", 'live-instance');

      second = await createTestApp({ databaseUrl: first.databaseUrl }, simulator);
      const statuses = await waitFor(
        async () =>
          (
            await db.query<{ payload_sha256: string; status: string; attempts: number }>(
              'SELECT payload_sha256, status, attempts FROM webhook_inbox',
            )
          ).rows,
        (rows) => rows.filter((row) => row.status === 'DONE').length >= 2,
      );
      const bySha = new Map(statuses.map((row) => [row.payload_sha256, row]));
      expect(bySha.get(sha256(disable))).toMatchObject({ status: 'DONE', attempts: 2 });
      expect(bySha.get(sha256(review))).toMatchObject({ status: 'DONE', attempts: 1 });
      expect(bySha.get(sha256(held))).toMatchObject({ status: 'PROCESSING', attempts: 1 });

      const detail = await second
        .http()
        .get(`/api/v1/wabas/${session.wabaId}`)
        .set('Authorization', `Bearer ${key}`)
        .expect(200);
      expect(detail.body).toMatchObject({
        status: 'DISABLED',
        statusReason: 'BANNED',
        accountReviewStatus: 'REJECTED',
      });
    } finally {
      await db.end();
      if (second) {
        await second.close({ keepDatabase: true });
      }
      await simulator.stop();
      await dropTestDatabase(first.databaseUrl);
    }
  });
});

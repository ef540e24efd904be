import { Client } from 'pg';

import { MarketingSendRetentionService } from 'src/modules/mm-lite/marketing-send-retention.service';
import { MarketingHoldKind, MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';
import { MarketingSendPruneJob } from 'src/modules/scheduler/jobs/marketing-send-prune.job';
import { createMarketingMessages, createRecipientHold } from 'test/factories/marketing-message.factory';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

interface Tenant {
  id: string;
  key: string;
  wabaId: string;
  phoneNumberId: string;
}

const HOUR_MS = 60 * 60_000;
const DAY_MS = 24 * HOUR_MS;

describe('Marketing send history (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let acme: Tenant;
  let other: Tenant;

  async function tenant(name: string): Promise<Tenant> {
    const organization = await sut.createOrganization(name);
    const session = sut.simulator.createSignupSession({ wabaName: `${name} WABA` });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${organization.key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { ...organization, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
  }

  const get = (who: Tenant, path: string) => sut.http().get(path).set('Authorization', `Bearer ${who.key}`);
  const sendsOf = (who: Tenant) => ({ organizationId: who.id, wabaId: who.wabaId, phoneNumberId: who.phoneNumberId });
  const ago = (ms: number): Date => new Date(Date.now() - ms);
  const clear = async (): Promise<void> => {
    await db.query('DELETE FROM marketing_messages');
    await db.query('DELETE FROM marketing_recipient_holds');
  };
  const count = async (sql: string, values: unknown[] = []): Promise<number> =>
    Number((await db.query<{ n: number }>(sql, values)).rows[0].n);

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    acme = await tenant('Acme');
    other = await tenant('Other');
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  beforeEach(clear);

  describe('GET /phone-numbers/{id}/marketing-messages', () => {
    it('should page through the sends newest first, ending with a null cursor', async () => {
      const ids = await createMarketingMessages(
        sut.app,
        [5, 4, 3, 2, 1].map((minutes) => ({ ...sendsOf(acme), createdAt: ago(minutes * 60_000) })),
      );
      // Another number's sends never show.
      await createMarketingMessages(sut.app, [{ ...sendsOf(other) }]);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const response = await get(acme, `/api/v1/phone-numbers/${acme.phoneNumberId}/marketing-messages${query}`);
        expect(response.status).toBe(200);
        const body = response.body as { data: Array<{ id: string }>; nextCursor: string | null };
        seen.push(...body.data.map((send) => send.id));
        cursor = body.nextCursor;
        pages += 1;
      } while (cursor && pages < 10);

      expect(pages).toBe(3);
      expect(seen).toEqual([...ids].reverse());
    });

    it('should show a send as the contract shapes it, its failure explained by the failure table', async () => {
      const [id] = await createMarketingMessages(sut.app, [
        {
          ...sendsOf(acme),
          recipient: '+447700900123',
          failure: { code: 131049, title: 'This message was not delivered to maintain healthy ecosystem engagement.' },
        },
      ]);

      const response = await get(acme, `/api/v1/phone-numbers/${acme.phoneNumberId}/marketing-messages`).expect(200);

      expect(response.body.data).toEqual([
        expect.objectContaining({
          id,
          messageId: expect.stringMatching(/^wamid\./),
          phoneNumberId: acme.phoneNumberId,
          wabaId: acme.wabaId,
          channel: 'MM_LITE',
          template: { name: 'seasonal_sale_promo', language: 'en_US', category: 'MARKETING' },
          recipient: { phone: '+447700900123', countryCallingCode: '44' },
          recipientType: 'PHONE_NUMBER',
          status: 'FAILED',
          failure: {
            code: 131049,
            title: 'This message was not delivered to maintain healthy ecosystem engagement.',
            reason: expect.stringContaining('Meta limited marketing to this user'),
            action: expect.stringContaining('Do not retry for 24 h'),
          },
          sentAt: expect.any(String),
          updatedAt: expect.any(String),
          failedAt: expect.any(String),
          sentBy: 'admin',
        }),
      ]);
    });

    it('should filter by status and by since', async () => {
      await createMarketingMessages(sut.app, [
        { ...sendsOf(acme), createdAt: ago(3 * HOUR_MS), status: MarketingMessageStatus.DELIVERED },
        { ...sendsOf(acme), createdAt: ago(2 * HOUR_MS), status: MarketingMessageStatus.READ },
        { ...sendsOf(acme), createdAt: ago(HOUR_MS), status: MarketingMessageStatus.DELIVERED },
      ]);
      const path = `/api/v1/phone-numbers/${acme.phoneNumberId}/marketing-messages`;

      const delivered = await get(acme, `${path}?status=DELIVERED`).expect(200);
      const recent = await get(acme, `${path}?since=${ago(150 * 60_000).toISOString()}`).expect(200);
      const both = await get(acme, `${path}?status=DELIVERED&since=${ago(150 * 60_000).toISOString()}`).expect(200);

      expect(delivered.body.data.map((send: { status: string }) => send.status)).toEqual(['DELIVERED', 'DELIVERED']);
      expect(recent.body.data.map((send: { status: string }) => send.status)).toEqual(['DELIVERED', 'READ']);
      expect(both.body.data).toHaveLength(1);
    });

    it.each([
      ['status=SENDING', 'status'],
      ['status=delivered', 'status'],
      ['since=yesterday', 'since'],
      ['since=2026-02-30T00:00:00Z', 'since'],
      ['limit=0', 'limit'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ])('should refuse %s with a 400 naming %s', async (query, field) => {
      const response = await get(acme, `/api/v1/phone-numbers/${acme.phoneNumberId}/marketing-messages?${query}`);

      expect(response.status).toBe(400);
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual([field]);
    });

    it("should answer 404 for another organization's number, as for a missing one", async () => {
      await createMarketingMessages(sut.app, [{ ...sendsOf(other) }]);

      const foreign = await get(acme, `/api/v1/phone-numbers/${other.phoneNumberId}/marketing-messages`);
      const missing = await get(acme, '/api/v1/phone-numbers/999999999999/marketing-messages');

      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(foreign.body.code).toBe('NOT_FOUND');
    });
  });

  describe('GET /marketing-messages/{id}', () => {
    it("should answer one send, and 404 for another organization's send", async () => {
      const [mine, theirs] = await createMarketingMessages(sut.app, [
        { ...sendsOf(acme), failure: { code: 131999, title: 'Something new', details: 'Meta explains it here.' } },
        { ...sendsOf(other) },
      ]);

      const response = await get(acme, `/api/v1/marketing-messages/${mine}`).expect(200);
      const foreign = await get(acme, `/api/v1/marketing-messages/${theirs}`);

      expect(response.body).toMatchObject({
        id: mine,
        status: 'FAILED',
        // A code without a row in the table keeps Meta's title and details.
        failure: { code: 131999, title: 'Something new', reason: 'Meta explains it here.' },
      });
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe('NOT_FOUND');
    });

    it('should explain a send that failed before Meta answered, without a code', async () => {
      const [id] = await createMarketingMessages(sut.app, [
        { ...sendsOf(acme), failure: { code: null, title: null, details: 'Meta could not be reached' } },
      ]);

      const response = await get(acme, `/api/v1/marketing-messages/${id}`).expect(200);

      expect(response.body.failure).toEqual({
        code: null,
        title: null,
        reason: 'Meta could not be reached',
        action: expect.stringContaining('sending it again is safe'),
      });
    });

    it('should answer a 400 naming id for an ID that is not a UUID, and 404 for an unknown one', async () => {
      const bad = await get(acme, '/api/v1/marketing-messages/wamid.123');
      const unknown = await get(acme, '/api/v1/marketing-messages/0b6f5a3e-5d7c-4c1e-9a51-2f4b3c6d7e8f');

      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((error: { field: string }) => error.field)).toEqual(['id']);
      expect(unknown.status).toBe(404);
    });
  });

  describe('summaries of the last 24 h', () => {
    it("should count a number's and a WABA's sends by status with the top failure reasons", async () => {
      const limited = { code: 131049, title: 'Healthy ecosystem' };
      const stopped = { code: 131050, title: 'User stopped marketing' };
      await createMarketingMessages(sut.app, [
        { ...sendsOf(acme), status: MarketingMessageStatus.DELIVERED },
        { ...sendsOf(acme), status: MarketingMessageStatus.READ },
        { ...sendsOf(acme), status: MarketingMessageStatus.UNKNOWN },
        { ...sendsOf(acme), failure: limited },
        { ...sendsOf(acme), failure: limited },
        { ...sendsOf(acme), failure: stopped },
        // Older than the window, and another organization's: neither counts.
        { ...sendsOf(acme), createdAt: ago(DAY_MS + HOUR_MS), failure: stopped },
        { ...sendsOf(other), failure: stopped },
      ]);

      const number = await get(acme, `/api/v1/phone-numbers/${acme.phoneNumberId}/marketing-messages/summary`).expect(
        200,
      );
      const waba = await get(acme, `/api/v1/wabas/${acme.wabaId}/marketing-messages/summary`).expect(200);

      const expected = {
        total: 6,
        byStatus: { UNKNOWN: 1, ACCEPTED: 0, SENT: 0, DELIVERED: 1, READ: 1, FAILED: 3 },
        topFailures: [
          {
            code: 131049,
            title: 'Healthy ecosystem',
            reason: expect.stringContaining('Meta limited marketing'),
            action: expect.any(String),
            count: 2,
          },
          {
            code: 131050,
            title: 'User stopped marketing',
            reason: expect.stringContaining('stopped marketing messages'),
            action: expect.any(String),
            count: 1,
          },
        ],
      };
      expect(number.body).toMatchObject(expected);
      expect(waba.body).toMatchObject(expected);
      expect(Date.parse(number.body.until) - Date.parse(number.body.since)).toBe(DAY_MS);
    });

    it("should answer 404 for another organization's number or WABA", async () => {
      await get(acme, `/api/v1/phone-numbers/${other.phoneNumberId}/marketing-messages/summary`).expect(404);
      await get(acme, `/api/v1/wabas/${other.wabaId}/marketing-messages/summary`).expect(404);
    });
  });

  describe('retention', () => {
    it('should prune sends past the retention in batches, and ended pauses, keeping recent sends and opt-outs', async () => {
      await createMarketingMessages(
        sut.app,
        Array.from({ length: 2_500 }, (_, i) => ({ ...sendsOf(acme), createdAt: ago(31 * DAY_MS + i * 1_000) })),
      );
      await createMarketingMessages(sut.app, [
        { ...sendsOf(acme), createdAt: ago(29 * DAY_MS) },
        { ...sendsOf(other), createdAt: ago(HOUR_MS) },
      ]);
      // Holds set long ago: an opt-out lasts however old it is.
      const hold = { organizationId: acme.id, wabaId: acme.wabaId, createdAt: ago(400 * DAY_MS) };
      await createRecipientHold(sut.app, { ...hold, recipient: '+447700900001', kind: MarketingHoldKind.OPTED_OUT });
      await createRecipientHold(sut.app, {
        ...hold,
        recipient: '+447700900002',
        kind: MarketingHoldKind.PAUSED,
        until: ago(HOUR_MS),
      });
      await createRecipientHold(sut.app, {
        ...hold,
        recipient: '+447700900003',
        kind: MarketingHoldKind.PAUSED,
        until: ago(-HOUR_MS),
      });

      const result = await sut.app.get(MarketingSendPruneJob).run();

      // 1,000 + 1,000 + 500 sends, then one batch of holds.
      expect(result).toEqual({ sends: 2_500, pauses: 1, batches: 4 });
      expect(await count('SELECT count(*)::int AS n FROM marketing_messages')).toBe(2);
      expect(
        (await db.query('SELECT recipient FROM marketing_recipient_holds ORDER BY recipient')).rows.map(
          (row: { recipient: string }) => row.recipient,
        ),
      ).toEqual(['+447700900001', '+447700900003']);
    });

    it('should delete each old send once when two instances prune at once', async () => {
      await createMarketingMessages(
        sut.app,
        Array.from({ length: 1_200 }, (_, i) => ({ ...sendsOf(acme), createdAt: ago(40 * DAY_MS + i * 1_000) })),
      );
      await createMarketingMessages(sut.app, [{ ...sendsOf(acme), createdAt: ago(DAY_MS) }]);
      const second = await createTestApp({ databaseUrl: sut.databaseUrl });
      try {
        // Small batches, so that the two runs interleave over many statements.
        const runs = await Promise.all(
          [sut, second].map((app) => app.app.get(MarketingSendRetentionService).prune(30, new Date(), 50, 100)),
        );

        expect(runs[0].sends + runs[1].sends).toBe(1_200);
        expect(await count('SELECT count(*)::int AS n FROM marketing_messages')).toBe(1);
      } finally {
        await second.close({ keepDatabase: true });
      }
    });

    it('should use the configured retention', async () => {
      await createMarketingMessages(sut.app, [
        { ...sendsOf(acme), createdAt: ago(8 * DAY_MS) },
        { ...sendsOf(acme), createdAt: ago(6 * DAY_MS) },
      ]);
      const weekly = await createTestApp({
        databaseUrl: sut.databaseUrl,
        env: { MARKETING_MESSAGES_RETENTION_DAYS: '7' },
      });
      try {
        expect(await weekly.app.get(MarketingSendPruneJob).run()).toMatchObject({ sends: 1 });
        expect(await count('SELECT count(*)::int AS n FROM marketing_messages')).toBe(1);
      } finally {
        await weekly.close({ keepDatabase: true });
        delete process.env.MARKETING_MESSAGES_RETENTION_DAYS;
      }
      // The first app still reads the default (30 days) and keeps the 6-day-old send.
      expect(await sut.app.get(MarketingSendPruneJob).run()).toMatchObject({ sends: 0 });
    });
  });
});

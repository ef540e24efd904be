import { createHash } from 'node:crypto';

import { Client } from 'pg';

import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

type Connected = { key: string; wabaId: string; phoneNumberId: string; businessId: string };
type InboxRow = { status: string; outcome: Array<Record<string, unknown>> | null };

const HOUR = 3_600;
const DAY = 24 * HOUR;

const seconds = (date: Date = new Date()) => Math.floor(date.getTime() / 1000);

describe('Meta webhooks: older never overrides newer, and reconnection clears disconnection (e2e)', () => {
  let sut: TestApp;
  let db: Client;

  const waba = async (connected: Connected) =>
    (
      await sut
        .http()
        .get(`/api/v1/wabas/${connected.wabaId}`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200)
    ).body as Record<string, unknown>;
  const column = async (connected: Connected, name: string): Promise<unknown> =>
    (await db.query(`SELECT ${name} AS value FROM wabas WHERE waba_id = $1`, [connected.wabaId])).rows[0]?.value;
  const signup = async (key: string, session: { code: string; wabaId: string; phoneNumberId: string }) =>
    sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId });
  const connect = async (name: string): Promise<Connected> => {
    const { key } = await sut.createOrganization(name);
    // The WABA has the template a send names (the service checks it before calling Meta).
    const session = sut.simulator.createSignupSession({
      wabaName: `${name} WABA`,
      templates: [{ name: 'seasonal_sale_promo', language: 'en_US' }],
    });
    expect((await signup(key, session)).status).toBe(201);
    return { key, ...session };
  };
  /** Sends a signed delivery and waits until it is processed; returns its inbox row. */
  const deliver = async (payload: JsonObject): Promise<InboxRow> => {
    const delivery = await sut.simulator.sendWebhook(payload);
    expect(delivery.status).toBe(200);
    const sha256 = createHash('sha256').update(delivery.body, 'utf8').digest('hex');
    const row = await waitFor(
      async () =>
        (await db.query<InboxRow>('SELECT status, outcome FROM webhook_inbox WHERE payload_sha256 = $1', [sha256]))
          .rows[0],
      (value) => value?.status === 'DONE',
    );
    expect(row?.status).toBe('DONE');
    return row;
  };
  const accountUpdate = (connected: Connected, value: JsonObject, time: number) =>
    sut.simulator.buildWebhook('account_update', value, connected.wabaId, time);
  const partnerEvent = (connected: Connected, event: string, time: number) =>
    sut.simulator.buildWebhook(
      'account_update',
      { event, waba_info: { waba_id: connected.wabaId, owner_business_id: connected.businessId } },
      '2949482758682047',
      time,
    );
  const review = (connected: Connected, decision: string, time: number) =>
    sut.simulator.buildWebhook('account_review_update', { decision }, connected.wabaId, time);
  const phone = async (connected: Connected) =>
    (
      await sut
        .http()
        .get(`/api/v1/phone-numbers/${connected.phoneNumberId}`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200)
    ).body as Record<string, unknown>;
  const phoneUpdate = async (connected: Connected, field: string, value: JsonObject, time: number) => {
    const display = String((await phone(connected)).displayPhoneNumber).replace(/\D/g, '');
    return sut.simulator.buildWebhook(field, { display_phone_number: display, ...value }, connected.wabaId, time);
  };
  const nameUpdate = (connected: Connected, decision: string, time: number) =>
    phoneUpdate(connected, 'phone_number_name_update', { decision, rejection_reason: null }, time);

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  afterEach(() => {
    sut.simulator.setLatency(0);
  });

  describe('staleness, per field', () => {
    it('should keep a newer review decision when an hour-old account_review_update arrives', async () => {
      const connected = await connect('Review');
      const now = seconds();
      await deliver(review(connected, 'REJECTED', now));
      const stale = await deliver(review(connected, 'APPROVED', now - HOUR));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await waba(connected)).toMatchObject({ accountReviewStatus: 'REJECTED' });
    });

    it('should not mark a WABA REAUTH_REQUIRED on a day-old PARTNER_APP_UNINSTALLED, but on a current one', async () => {
      const connected = await connect('Uninstall');
      const stale = await deliver(partnerEvent(connected, 'PARTNER_APP_UNINSTALLED', seconds() - DAY));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await waba(connected)).toMatchObject({ connection: 'CONNECTED' });

      await deliver(partnerEvent(connected, 'PARTNER_APP_UNINSTALLED', seconds()));
      expect(await waba(connected)).toMatchObject({ connection: 'REAUTH_REQUIRED' });
    });

    it('should keep the country of the signup reading over an hour-old country update, and take a newer one', async () => {
      const connected = await connect('Country');
      const read = await column(connected, 'country');
      const update = (country: string, time: number) =>
        accountUpdate(connected, { event: 'BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE', country }, time);

      const stale = await deliver(update('DE', seconds() - HOUR));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await column(connected, 'country')).toBe(read);

      await deliver(update('BR', seconds()));
      await deliver(update('PT', seconds() - 60));
      expect(await column(connected, 'country')).toBe('BR');
    });

    it('should not let an older ACCOUNT_RESTRICTION replace a newer one', async () => {
      const connected = await connect('Restriction');
      const now = seconds();
      const restriction = (expiration: number, time: number) =>
        accountUpdate(
          connected,
          {
            event: 'ACCOUNT_RESTRICTION',
            restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration }],
          },
          time,
        );
      await deliver(restriction(now + HOUR, now));
      // Written an hour ago and long expired: it must not lift the current restriction.
      const stale = await deliver(restriction(now - 30 * 60, now - HOUR));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: 'RESTRICTED' });
    });

    it('should count a sync reading as of when it was read: a webhook newer than the read wins', async () => {
      const connected = await connect('Sync vs webhook');
      sut.simulator.setLatency(1_200, `/${connected.wabaId}`);
      const syncing = sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${connected.key}`)
        .then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Meta rejects the account while the read is in flight; the webhook says so with a later time.
      await deliver(review(connected, 'REJECTED', seconds() + 1));
      expect((await syncing).status).toBe(200);
      expect(await waba(connected)).toMatchObject({ accountReviewStatus: 'REJECTED' });
    });
  });

  describe('staleness of phone number fields', () => {
    it('should keep a name status set by a webhook newer than a sync read over that read', async () => {
      const connected = await connect('Phone sync vs webhook');
      sut.simulator.updatePhoneNumber(connected.phoneNumberId, { nameStatus: 'APPROVED' });
      sut.simulator.setLatency(1_200, `/${connected.wabaId}`);
      const syncing = sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${connected.key}`)
        .then((response) => response);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Meta declines the name while the read is in flight; the webhook says so with a later time.
      const applied = await deliver(await nameUpdate(connected, 'REJECTED', seconds() + 1));
      expect(applied.outcome?.[0]).toMatchObject({ outcome: 'APPLIED' });
      expect(await phone(connected)).toMatchObject({ nameStatus: 'DECLINED' });

      expect((await syncing).status).toBe(200);
      expect(await phone(connected)).toMatchObject({ nameStatus: 'DECLINED' });
    });

    it('should not let an older name update override a newer one, whatever other fields say', async () => {
      const connected = await connect('Phone order');
      const now = seconds();
      await deliver(await nameUpdate(connected, 'APPROVED', now + 30));
      // A newer report of another field does not date the name.
      await deliver(
        await phoneUpdate(connected, 'phone_number_quality_update', { event: 'THROUGHPUT_UPGRADE' }, now + 60),
      );
      const stale = await deliver(await nameUpdate(connected, 'REJECTED', now + 10));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await phone(connected)).toMatchObject({ nameStatus: 'APPROVED', throughputLevel: 'HIGH' });

      const newer = await deliver(await nameUpdate(connected, 'PENDING', now + 45));
      expect(newer.outcome?.[0]).toMatchObject({ outcome: 'APPLIED' });
      expect(await phone(connected)).toMatchObject({ nameStatus: 'PENDING_REVIEW' });
    });

    it('should refuse a name update older than the last read, and let a newer read replace a webhook', async () => {
      const connected = await connect('Phone newer sync');
      const read = (await phone(connected)).nameStatus;
      const stale = await deliver(await nameUpdate(connected, 'REJECTED', seconds() - HOUR));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await phone(connected)).toMatchObject({ nameStatus: read });

      await deliver(await nameUpdate(connected, 'REJECTED', seconds()));
      expect(await phone(connected)).toMatchObject({ nameStatus: 'DECLINED' });
      sut.simulator.updatePhoneNumber(connected.phoneNumberId, { nameStatus: 'APPROVED' });
      await sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200);
      expect(await phone(connected)).toMatchObject({ nameStatus: 'APPROVED' });
    });
  });

  describe('reconnection', () => {
    it('should make a WABA active again on a PARTNER_ADDED newer than its PARTNER_REMOVED, not on an older one', async () => {
      const connected = await connect('Partner again');
      const now = seconds();
      await deliver(partnerEvent(connected, 'PARTNER_REMOVED', now));
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'DISCONNECTED' });

      const stale = await deliver(partnerEvent(connected, 'PARTNER_ADDED', now - 60));
      expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'DISCONNECTED' });

      const added = await deliver(partnerEvent(connected, 'PARTNER_ADDED', now + 1));
      expect(added.outcome?.[0]).toMatchObject({ outcome: 'APPLIED' });
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
      // And a late copy of the removal does not take it away again.
      await deliver(partnerEvent(connected, 'PARTNER_REMOVED', now - 5));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
    });

    it('should make a WABA active again on PARTNER_APP_INSTALLED after a removal', async () => {
      const connected = await connect('Installed again');
      await deliver(partnerEvent(connected, 'PARTNER_REMOVED', seconds()));
      await deliver(partnerEvent(connected, 'PARTNER_APP_INSTALLED', seconds() + 1));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
    });

    it('should make a WABA active and connected again after a new successful signup', async () => {
      const connected = await connect('Signup again');
      // The customer unshares the WABA (Meta revokes the token) ...
      await sut.simulator.applyEvent(connected.wabaId, 'PARTNER_REMOVED', { silent: true });
      await deliver(partnerEvent(connected, 'PARTNER_REMOVED', seconds()));
      await deliver(partnerEvent(connected, 'PARTNER_APP_UNINSTALLED', seconds()));
      expect(await waba(connected)).toMatchObject({
        status: 'DISABLED',
        statusReason: 'DISCONNECTED',
        connection: 'REAUTH_REQUIRED',
      });
      // ... then goes through Embedded Signup again, which shares it anew (its webhooks not yet arrived).
      await sut.simulator.applyEvent(connected.wabaId, 'PARTNER_ADDED', { silent: true });
      const again = sut.simulator.createSignupSession({ existingWabaId: connected.wabaId });
      expect((await signup(connected.key, again)).status).toBe(201);

      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null, connection: 'CONNECTED' });
      const sent = await sut
        .http()
        .post(`/api/v1/phone-numbers/${again.phoneNumberId}/marketing-messages`)
        .set('Authorization', `Bearer ${connected.key}`)
        .send({ to: '+447700900123', template: { name: 'seasonal_sale_promo', language: 'en_US' } });
      expect(sent.status).toBeLessThan(300);
    });

    it('should make a WABA active again when a sync reads it as shared and active after the removal', async () => {
      const connected = await connect('Sync again');
      await deliver(partnerEvent(connected, 'PARTNER_REMOVED', seconds()));
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'DISCONNECTED' });

      const synced = await sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200);
      expect(synced.body).toMatchObject({ status: 'ACTIVE', statusReason: null });
    });

    it('should keep an offboarding that a sync cannot see (only ACCOUNT_RECONNECTED or a signup clears it)', async () => {
      const connected = await connect('Offboarded');
      await deliver(accountUpdate(connected, { event: 'ACCOUNT_OFFBOARDED' }, seconds()));
      await sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200);
      expect(await waba(connected)).toMatchObject({ status: 'DISABLED', statusReason: 'DISCONNECTED' });
      await deliver(accountUpdate(connected, { event: 'ACCOUNT_RECONNECTED' }, seconds()));
      expect(await waba(connected)).toMatchObject({ status: 'ACTIVE', statusReason: null });
    });
  });
});

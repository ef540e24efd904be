import { createHash } from 'node:crypto';

import { Client } from 'pg';

import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

type Connected = { key: string; wabaId: string; phoneNumberId: string; businessId: string };
type InboxRow = { status: string; outcome: Array<Record<string, unknown>> | null };
type Alert = {
  type: string;
  severity: string;
  status: string;
  description: string | null;
  entityType: string;
  entityId: string;
  occurredAt: string;
};

const HOUR = 3_600;

const seconds = (date: Date = new Date()) => Math.floor(date.getTime() / 1000);

describe('Account alerts: account_alerts webhooks on the WABA detail, list and audit trail (e2e)', () => {
  let sut: TestApp;
  let db: Client;

  const connect = async (name: string): Promise<Connected> => {
    const { key } = await sut.createOrganization(name);
    const session = sut.simulator.createSignupSession({ wabaName: `${name} WABA` });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { key, ...session };
  };
  const detail = async (connected: Connected) =>
    (
      await sut
        .http()
        .get(`/api/v1/wabas/${connected.wabaId}`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200)
    ).body as { status: string; statusReason: string | null; criticalAlert: string | null; alerts: Alert[] };
  const listRow = async (connected: Connected) => {
    const body = (await sut.http().get('/api/v1/wabas').set('Authorization', `Bearer ${connected.key}`).expect(200))
      .body as { data: Array<{ wabaId: string; status: string; criticalAlert: string | null }> };
    return body.data.find((row) => row.wabaId === connected.wabaId);
  };
  const audit = async (connected: Connected) =>
    (
      await sut
        .http()
        .get(`/api/v1/audit-events?wabaId=${connected.wabaId}&type=ACCOUNT_ALERT_CHANGED`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200)
    ).body.data as Array<Record<string, unknown>>;
  const inboxRow = async (body: string): Promise<InboxRow> => {
    const sha256 = createHash('sha256').update(body, 'utf8').digest('hex');
    const row = await waitFor(
      async () =>
        (await db.query<InboxRow>('SELECT status, outcome FROM webhook_inbox WHERE payload_sha256 = $1', [sha256]))
          .rows[0],
      (value) => value?.status === 'DONE',
    );
    expect(row?.status).toBe('DONE');
    return row;
  };
  /** Sends a signed delivery (a payload, or its exact bytes) and waits until it is processed. */
  const deliver = async (payload: JsonObject | string): Promise<InboxRow> => {
    const delivery = await sut.simulator.sendWebhook(payload);
    expect(delivery.status).toBe(200);
    return inboxRow(delivery.body);
  };
  /** An `account_alerts` delivery shaped like fixtures/2026/webhooks/account_alerts.*.json. */
  const alert = (
    connected: Connected,
    info: { type: string; severity: string; status: string; description?: string },
    time: number,
    entity: { type: string; id: string } = { type: 'BUSINESS', id: connected.businessId },
  ) =>
    sut.simulator.buildWebhook(
      'account_alerts',
      {
        entity_type: entity.type,
        entity_id: entity.id,
        alert_info: {
          alert_severity: info.severity,
          alert_status: info.status,
          alert_type: info.type,
          alert_description: info.description ?? `${info.type} at ${time}`,
        },
      },
      connected.wabaId,
      time,
    );
  const failed = { type: 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED', severity: 'CRITICAL' };
  const alertRows = async (connected: Connected) =>
    (
      await db.query(
        `SELECT a.alert_type, a.status FROM waba_alerts a JOIN wabas w ON w.id = a.waba_id WHERE w.waba_id = $1`,
        [connected.wabaId],
      )
    ).rows;

  beforeAll(async () => {
    // META_SANDBOX mounts the sandbox routes, so Meta's side is driven as the console's "Simulate Meta" does.
    sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  it('should show a raised alert on the detail and audit it as a WEBHOOK change', async () => {
    const connected = await connect('Deferred');
    await sut
      .http()
      .post(`/api/v1/sandbox/wabas/${connected.wabaId}/events`)
      .set('Authorization', `Bearer ${connected.key}`)
      .send({ type: 'ALERT', alertType: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED' })
      .expect(202);
    const [delivery] = sut.simulator.webhooks.slice(-1);
    await inboxRow(delivery.body);

    const waba = await detail(connected);
    expect(waba.alerts).toEqual([
      {
        type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED',
        severity: 'WARNING',
        status: 'ACTIVE',
        description: expect.stringContaining("Limits can't be raised for"),
        entityType: 'BUSINESS',
        entityId: connected.businessId,
        occurredAt: expect.any(String),
      },
    ]);
    // A warning is not critical: nothing on the list row, and the status is Meta's, untouched.
    expect(await listRow(connected)).toMatchObject({ status: 'ACTIVE', criticalAlert: null });
    expect(await audit(connected)).toEqual([
      expect.objectContaining({
        source: 'WEBHOOK',
        actor: 'meta-webhook',
        phoneNumberId: null,
        before: null,
        after: expect.objectContaining({
          type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED',
          severity: 'WARNING',
          status: 'ACTIVE',
          entityType: 'BUSINESS',
        }),
      }),
    ]);
  });

  it('should flag an ACTIVE CRITICAL alert on the list row without changing the status, until Meta ends it', async () => {
    const connected = await connect('Critical');
    const now = seconds();
    await deliver(alert(connected, { ...failed, status: 'ACTIVE' }, now - 60));

    expect(await listRow(connected)).toMatchObject({
      status: 'ACTIVE',
      criticalAlert: 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED',
    });
    expect(await detail(connected)).toMatchObject({
      status: 'ACTIVE',
      statusReason: null,
      criticalAlert: 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED',
    });

    await deliver(alert(connected, { ...failed, status: 'NONE' }, now));
    expect(await listRow(connected)).toMatchObject({ status: 'ACTIVE', criticalAlert: null });
    expect((await detail(connected)).alerts).toMatchObject([{ type: failed.type, status: 'NONE' }]);
    const trail = await audit(connected);
    expect(trail).toHaveLength(2);
    expect(trail[0]).toMatchObject({ before: { status: 'ACTIVE' }, after: { status: 'NONE' } });
  });

  it('should list ACTIVE alerts first, then the newest, for the WABA and its number', async () => {
    const connected = await connect('Order');
    const now = seconds();
    const number = { type: 'PHONE_NUMBER', id: connected.phoneNumberId };
    await deliver(
      alert(connected, { type: 'OBA_APPROVED', severity: 'INFORMATIONAL', status: 'NONE' }, now - 10, number),
    );
    await deliver(
      alert(
        connected,
        { type: 'INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED', severity: 'WARNING', status: 'ACTIVE' },
        now - 300,
      ),
    );
    await deliver(alert(connected, { ...failed, status: 'ACTIVE' }, now - 100));

    const { alerts } = await detail(connected);
    expect(alerts.map((item) => [item.type, item.status])).toEqual([
      ['INCREASED_CAPABILITIES_ELIGIBILITY_FAILED', 'ACTIVE'],
      ['INCREASED_CAPABILITIES_ELIGIBILITY_DEFERRED', 'ACTIVE'],
      ['OBA_APPROVED', 'NONE'],
    ]);
    expect(alerts[2]).toMatchObject({ entityType: 'PHONE_NUMBER', entityId: connected.phoneNumberId });
    // A number's alert is in the number's audit trail too.
    const numberTrail = (
      await sut
        .http()
        .get(`/api/v1/audit-events?phoneNumberId=${connected.phoneNumberId}&type=ACCOUNT_ALERT_CHANGED`)
        .set('Authorization', `Bearer ${connected.key}`)
        .expect(200)
    ).body.data as Array<Record<string, unknown>>;
    expect(numberTrail).toEqual([
      expect.objectContaining({ phoneNumberId: connected.phoneNumberId, source: 'WEBHOOK' }),
    ]);
  });

  it('should take a redelivery, in the same or other bytes, as harmless', async () => {
    const connected = await connect('Redelivered');
    const payload = alert(connected, { ...failed, status: 'ACTIVE' }, seconds());
    const first = await sut.simulator.sendWebhook(payload);
    await inboxRow(first.body);

    // The same bytes are a duplicate of the stored delivery; the same alert in other bytes is processed again.
    const again = await sut.simulator.sendWebhook(payload);
    expect(again.status).toBe(200);
    const reworded = await deliver(`${JSON.stringify(payload, null, 1)}\n`);
    expect(reworded.outcome?.[0]).toMatchObject({ outcome: 'APPLIED' });

    expect(await alertRows(connected)).toHaveLength(1);
    expect(await audit(connected)).toHaveLength(1);
    expect(await listRow(connected)).toMatchObject({ criticalAlert: failed.type });
  });

  it('should never let an older state of an alert override a newer one', async () => {
    const connected = await connect('Out of order');
    const now = seconds();
    await deliver(alert(connected, { ...failed, status: 'NONE', description: 'over' }, now));
    const stale = await deliver(alert(connected, { ...failed, status: 'ACTIVE', description: 'raised' }, now - HOUR));
    expect(stale.outcome?.[0]).toMatchObject({ outcome: 'STALE' });

    expect((await detail(connected)).alerts).toMatchObject([{ status: 'NONE', description: 'over' }]);
    expect(await listRow(connected)).toMatchObject({ criticalAlert: null });
    expect(await audit(connected)).toHaveLength(1);

    // The same second applies in arrival order (Meta's time has whole seconds).
    await deliver(alert(connected, { ...failed, status: 'ACTIVE', description: 'again' }, now));
    expect((await detail(connected)).alerts).toMatchObject([{ status: 'ACTIVE', description: 'again' }]);
  });

  it('should acknowledge alerts about a WABA or a number the platform does not hold, and store nothing', async () => {
    const connected = await connect('Unknown');
    const unknownWaba = sut.simulator.buildWebhook(
      'account_alerts',
      {
        entity_type: 'BUSINESS',
        entity_id: '506914307656634',
        alert_info: { alert_severity: 'CRITICAL', alert_status: 'ACTIVE', alert_type: failed.type },
      },
      '999000111222333',
      seconds(),
    );
    expect((await deliver(unknownWaba)).outcome?.[0]).toMatchObject({ outcome: 'UNKNOWN_WABA' });

    const otherNumber = { type: 'PHONE_NUMBER', id: '777000111222333' };
    const aboutOther = alert(
      connected,
      { type: 'OBA_REJECTED', severity: 'CRITICAL', status: 'ACTIVE' },
      seconds(),
      otherNumber,
    );
    expect((await deliver(aboutOther)).outcome?.[0]).toMatchObject({ outcome: 'UNKNOWN_PHONE_NUMBER' });

    const noType = sut.simulator.buildWebhook(
      'account_alerts',
      { entity_type: 'BUSINESS' },
      connected.wabaId,
      seconds(),
    );
    expect((await deliver(noType)).outcome?.[0]).toMatchObject({ outcome: 'MALFORMED' });

    expect(await alertRows(connected)).toHaveLength(0);
    expect(await listRow(connected)).toMatchObject({ criticalAlert: null });
  });

  it("should read the flat shape a 2026 SDK sends (INFO, RESOLVED, entity WABA) as Meta's values", async () => {
    const connected = await connect('Flat');
    const flat = (status: string, time: number) =>
      sut.simulator.buildWebhook(
        'account_alerts',
        {
          entity_type: 'WABA',
          entity_id: connected.wabaId,
          alert_severity: 'INFO',
          alert_status: status,
          alert_type: 'PROFILE_PICTURE_LOST',
          alert_description: 'reupload your profile picture',
        },
        connected.wabaId,
        time,
      );
    await deliver(flat('ACTIVE', seconds() - 5));
    await deliver(flat('RESOLVED', seconds()));
    expect((await detail(connected)).alerts).toEqual([
      {
        type: 'PROFILE_PICTURE_LOST',
        severity: 'INFORMATIONAL',
        status: 'NONE',
        description: 'reupload your profile picture',
        entityType: 'WABA',
        entityId: connected.wabaId,
        occurredAt: expect.any(String),
      },
    ]);
  });

  it("should keep each organization's alerts to itself", async () => {
    const mine = await connect('Mine');
    const theirs = await connect('Theirs');
    await deliver(alert(theirs, { ...failed, status: 'ACTIVE' }, seconds()));
    expect((await detail(mine)).alerts).toEqual([]);
    await sut.http().get(`/api/v1/wabas/${theirs.wabaId}`).set('Authorization', `Bearer ${mine.key}`).expect(404);
  });
});

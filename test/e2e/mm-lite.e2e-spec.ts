import { EventEmitter2 } from '@nestjs/event-emitter';
import { Client } from 'pg';

import { WabaStatusChangedEvent } from 'src/modules/wabas/events/waba-status-changed.event';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

interface Step {
  key: string;
  state: string;
  detail: string;
  actionUrl?: string;
}

interface Panel {
  wabaId: string;
  status: string | null;
  metaStatus: string | null;
  termsStatus: string | null;
  setupStartedAt: string | null;
  lastCheckedAt: string | null;
  steps: Step[];
  numbers: Array<{ phoneNumberId: string; displayPhoneNumber: string | null; sendingChannel: string }>;
  regionNotice: string;
}

interface Connected {
  wabaId: string;
  phoneNumberId: string;
  businessId: string;
}

function step(panel: Panel, key: string): Step {
  const found = panel.steps.find((candidate) => candidate.key === key);
  if (!found) {
    throw new Error(`panel has no step ${key}`);
  }
  return found;
}

describe('MM Lite onboarding panel and sending channel (e2e)', () => {
  let sut: TestApp;
  let key: string;

  const auth = (): [string, string] => ['Authorization', `Bearer ${key}`];

  async function connect(wabaName: string): Promise<Connected> {
    const session = sut.simulator.createSignupSession({ wabaName });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set(...auth())
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { wabaId: session.wabaId, phoneNumberId: session.phoneNumberId, businessId: session.businessId };
  }

  async function panel(wabaId: string): Promise<Panel> {
    const response = await sut
      .http()
      .get(`/api/v1/wabas/${wabaId}/mm-lite`)
      .set(...auth())
      .expect(200);
    return response.body as Panel;
  }

  async function refresh(wabaId: string): Promise<Panel> {
    const response = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/mm-lite/refresh`)
      .set(...auth())
      .expect(200);
    return response.body as Panel;
  }

  async function switchChannel(phoneNumberId: string, sendingChannel: string) {
    return sut
      .http()
      .patch(`/api/v1/phone-numbers/${phoneNumberId}`)
      .set(...auth())
      .send({ sendingChannel });
  }

  async function mmLiteAudit(wabaId: string): Promise<Array<{ before: unknown; after: unknown; source: string }>> {
    const response = await sut
      .http()
      .get(`/api/v1/audit-events?wabaId=${wabaId}&type=MM_LITE_STATUS_CHANGED`)
      .set(...auth())
      .expect(200);
    return response.body.data as Array<{ before: unknown; after: unknown; source: string }>;
  }

  async function listColumn(wabaId: string, filter: string): Promise<boolean> {
    const response = await sut
      .http()
      .get(`/api/v1/wabas?mmLiteStatus=${filter}&q=${wabaId}`)
      .set(...auth())
      .expect(200);
    return (response.body.data as Array<{ wabaId: string }>).some((row) => row.wabaId === wabaId);
  }

  beforeAll(async () => {
    // META_SANDBOX mounts the sandbox routes, so the test drives Meta's side as a sandbox user would.
    sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
    key = (await sut.createOrganization('MM Lite Co')).key;
  });

  afterAll(async () => {
    await sut.close();
  });

  it("should walk the guide's three steps from a dash to a number sending through MM Lite, and refuse it once disabled", async () => {
    const { wabaId, phoneNumberId, businessId } = await connect('Walkthrough WABA');

    // A fresh WABA shows a dash everywhere: list column, detail and panel.
    const fresh = await panel(wabaId);
    expect(fresh).toMatchObject({ wabaId, status: null, metaStatus: 'ELIGIBLE', setupStartedAt: null });
    expect(fresh.lastCheckedAt).toEqual(expect.any(String));
    expect(fresh.steps.map((item) => [item.key, item.state])).toEqual([
      ['ACCEPT_TERMS', 'TODO'],
      ['REFRESH_STATUS', 'TODO'],
      ['SWITCH_NUMBER_CHANNEL', 'BLOCKED'],
    ]);
    const terms = step(fresh, 'ACCEPT_TERMS');
    expect(terms.actionUrl).toContain('https://business.facebook.com/');
    expect(terms.actionUrl).toContain(`business_id=${businessId}`);
    expect(terms.actionUrl).toContain(`asset_id=${wabaId}`);
    expect(terms.detail).toContain('cannot sign on your behalf');
    expect(fresh.numbers).toEqual([
      { phoneNumberId, displayPhoneNumber: expect.any(String), sendingChannel: 'CLOUD_API' },
    ]);
    expect(fresh.regionNotice).toContain('United States (+1) since 2025-04-01');
    expect(await listColumn(wabaId, 'NOT_STARTED')).toBe(true);
    const detail = await sut
      .http()
      .get(`/api/v1/wabas/${wabaId}`)
      .set(...auth())
      .expect(200);
    expect(detail.body.mmLiteStatus).toBeNull();

    // Setup moves the column to NOT_ONBOARDED, audited once; a repeat changes nothing.
    const started = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/mm-lite/setup`)
      .set(...auth())
      .expect(200);
    expect(started.body).toMatchObject({ status: 'NOT_ONBOARDED', setupStartedAt: expect.any(String) });
    const again = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/mm-lite/setup`)
      .set(...auth())
      .expect(200);
    expect(again.body.setupStartedAt).toBe(started.body.setupStartedAt);
    expect(await listColumn(wabaId, 'NOT_ONBOARDED')).toBe(true);
    expect(await listColumn(wabaId, 'NOT_STARTED')).toBe(false);
    expect(await mmLiteAudit(wabaId)).toEqual([
      expect.objectContaining({
        source: 'API',
        before: expect.objectContaining({ mmLiteStatus: null }),
        after: expect.objectContaining({ mmLiteStatus: 'NOT_ONBOARDED' }),
      }),
    ]);

    // Not onboarded yet: the switch is refused.
    const refused = await switchChannel(phoneNumberId, 'MM_LITE');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('MM_LITE_NOT_ONBOARDED');

    // Step 1 happens at Meta: the terms are signed and Meta moves to PENDING_INTERNAL_SETUP.
    await sut
      .http()
      .post(`/api/v1/sandbox/wabas/${wabaId}/events`)
      .set(...auth())
      .send({ type: 'MM_LITE_TERMS_SIGNED' })
      .expect(202);
    expect(sut.simulator.getWaba(wabaId)?.marketingMessagesOnboardingStatus).toBe('PENDING_INTERNAL_SETUP');
    const pending = await refresh(wabaId);
    expect(pending).toMatchObject({
      status: 'NOT_ONBOARDED',
      metaStatus: 'PENDING_INTERNAL_SETUP',
      termsStatus: 'TERM_OF_SERVICE_SIGNED',
    });
    expect(new Date(pending.lastCheckedAt ?? 0).getTime()).toBeGreaterThan(
      new Date(fresh.lastCheckedAt ?? 0).getTime(),
    );
    expect(step(pending, 'ACCEPT_TERMS').state).toBe('DONE');
    expect(step(pending, 'REFRESH_STATUS')).toMatchObject({
      state: 'TODO',
      detail: expect.stringContaining('PENDING_INTERNAL_SETUP'),
    });
    expect(step(pending, 'SWITCH_NUMBER_CHANNEL').state).toBe('BLOCKED');

    // Meta finishes onboarding; the refresh shows ONBOARDED everywhere.
    await sut
      .http()
      .post(`/api/v1/sandbox/wabas/${wabaId}/events`)
      .set(...auth())
      .send({ type: 'MM_LITE_ONBOARDED' })
      .expect(202);
    const onboarded = await refresh(wabaId);
    expect(onboarded).toMatchObject({ status: 'ONBOARDED', metaStatus: 'ONBOARDED' });
    expect(onboarded.steps.map((item) => [item.key, item.state])).toEqual([
      ['ACCEPT_TERMS', 'DONE'],
      ['REFRESH_STATUS', 'DONE'],
      ['SWITCH_NUMBER_CHANNEL', 'TODO'],
    ]);
    expect(await listColumn(wabaId, 'ONBOARDED')).toBe(true);
    const audit = await mmLiteAudit(wabaId);
    expect(audit[0]).toMatchObject({
      before: { mmLiteStatus: 'NOT_ONBOARDED' },
      after: { mmLiteStatus: 'ONBOARDED', metaStatus: 'ONBOARDED' },
    });

    // Step 3: the switch is accepted and shows in the panel.
    const accepted = await switchChannel(phoneNumberId, 'MM_LITE');
    expect(accepted.status).toBe(200);
    expect(accepted.body.sendingChannel).toBe('MM_LITE');
    const switched = await panel(wabaId);
    expect(step(switched, 'SWITCH_NUMBER_CHANNEL').state).toBe('DONE');
    expect(switched.numbers[0]?.sendingChannel).toBe('MM_LITE');

    // The WABA is disabled at Meta and the service learns it: MM Lite refused, Cloud API allowed.
    await sut
      .http()
      .post(`/api/v1/sandbox/wabas/${wabaId}/events`)
      .set(...auth())
      .send({ type: 'DISABLE' })
      .expect(202);
    const disabled = await refresh(wabaId);
    expect(step(disabled, 'SWITCH_NUMBER_CHANNEL')).toMatchObject({
      state: 'BLOCKED',
      detail: expect.stringContaining('is disabled'),
    });
    const disabledSwitch = await switchChannel(phoneNumberId, 'MM_LITE');
    expect(disabledSwitch.status).toBe(409);
    expect(disabledSwitch.body.code).toBe('WABA_DISABLED');
    const back = await switchChannel(phoneNumberId, 'CLOUD_API');
    expect(back.status).toBe(200);
    expect(back.body.sendingChannel).toBe('CLOUD_API');
    const againRefused = await switchChannel(phoneNumberId, 'MM_LITE');
    expect(againRefused.status).toBe(409);
    expect(againRefused.body.code).toBe('WABA_DISABLED');

    const channelAudit = await sut
      .http()
      .get(`/api/v1/audit-events?phoneNumberId=${phoneNumberId}&type=SENDING_CHANNEL_CHANGED`)
      .set(...auth())
      .expect(200);
    expect(
      (channelAudit.body.data as Array<{ before: unknown; after: unknown }>).map((event) => [
        event.before,
        event.after,
      ]),
    ).toEqual([
      [{ sendingChannel: 'MM_LITE' }, { sendingChannel: 'CLOUD_API' }],
      [{ sendingChannel: 'CLOUD_API' }, { sendingChannel: 'MM_LITE' }],
    ]);
  });

  it('should not move the column when setup starts on a WABA Meta already reports as onboarded', async () => {
    const { wabaId } = await connect('Already onboarded');
    await sut.simulator.applyEvent(wabaId, 'MM_LITE_ONBOARDED', { silent: true });
    expect((await refresh(wabaId)).status).toBe('ONBOARDED');
    const before = await mmLiteAudit(wabaId);

    const started = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/mm-lite/setup`)
      .set(...auth())
      .expect(200);

    expect(started.body).toMatchObject({ status: 'ONBOARDED', setupStartedAt: expect.any(String) });
    expect(await mmLiteAudit(wabaId)).toHaveLength(before.length);
  });

  it('should show why onboarding is blocked: ineligible country, then a pending payment method', async () => {
    const { wabaId } = await connect('Blocked reasons');
    sut.simulator.updateWaba(wabaId, { marketingMessagesOnboardingStatus: 'INELIGIBLE_COUNTRY_NOT_SUPPORTED' });

    const ineligible = await refresh(wabaId);
    expect(ineligible).toMatchObject({ status: null, metaStatus: 'INELIGIBLE_COUNTRY_NOT_SUPPORTED' });
    expect(step(ineligible, 'ACCEPT_TERMS')).toMatchObject({
      state: 'BLOCKED',
      detail: expect.stringContaining('country is not supported'),
    });

    sut.simulator.updateWaba(wabaId, { marketingMessagesOnboardingStatus: 'ELIGIBLE' });
    await sut.simulator.applyEvent(wabaId, 'MM_LITE_TERMS_SIGNED', {
      pendingStatus: 'PENDING_VALID_PAYMENT_METHOD',
      silent: true,
    });
    const payment = await refresh(wabaId);
    expect(payment).toMatchObject({ status: 'NOT_ONBOARDED', metaStatus: 'PENDING_VALID_PAYMENT_METHOD' });
    expect(step(payment, 'ACCEPT_TERMS').state).toBe('DONE');
    expect(step(payment, 'REFRESH_STATUS')).toMatchObject({
      state: 'BLOCKED',
      detail: expect.stringContaining('payment method'),
    });
  });

  it('should mark the connection for re-authorization when Meta rejects the token on refresh, and stop calling Meta', async () => {
    const { wabaId } = await connect('Token rejected');
    sut.simulator.injectFault({ path: `/${wabaId}`, kind: 'invalid_token', times: 1 });

    const first = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/mm-lite/refresh`)
      .set(...auth())
      .expect(409);
    expect(first.body.code).toBe('REAUTH_REQUIRED');
    expect(first.body.detail).not.toMatch(/EAA|access_token=/);

    const blocked = await panel(wabaId);
    expect(step(blocked, 'REFRESH_STATUS')).toMatchObject({
      state: 'BLOCKED',
      detail: expect.stringContaining('Embedded Signup'),
    });

    sut.simulator.clearRequests();
    const second = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/mm-lite/refresh`)
      .set(...auth())
      .expect(409);
    expect(second.body.code).toBe('REAUTH_REQUIRED');
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it('should answer META_UNAVAILABLE when Meta fails on refresh and keep the stored panel', async () => {
    const { wabaId } = await connect('Meta down');
    const before = await panel(wabaId);
    sut.simulator.injectFault({ path: `/${wabaId}*`, kind: 'http500' });
    try {
      const failed = await sut
        .http()
        .post(`/api/v1/wabas/${wabaId}/mm-lite/refresh`)
        .set(...auth())
        .expect(502);
      expect(failed.body.code).toBe('META_UNAVAILABLE');
    } finally {
      sut.simulator.clearFaults();
    }
    expect(await panel(wabaId)).toEqual(before);
  });

  it("should answer 404 for another organization's WABA and 400 naming wabaId for a malformed one", async () => {
    const { wabaId } = await connect('Private WABA');
    const other = await sut.createOrganization('Other Co');
    for (const path of [`/api/v1/wabas/${wabaId}/mm-lite`]) {
      const response = await sut.http().get(path).set('Authorization', `Bearer ${other.key}`).expect(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
    for (const action of ['setup', 'refresh']) {
      const response = await sut
        .http()
        .post(`/api/v1/wabas/${wabaId}/mm-lite/${action}`)
        .set('Authorization', `Bearer ${other.key}`)
        .expect(404);
      expect(response.body.code).toBe('NOT_FOUND');
    }
    expect((await panel(wabaId)).setupStartedAt).toBeNull();

    const malformed = await sut
      .http()
      .get('/api/v1/wabas/not-a-waba/mm-lite')
      .set(...auth())
      .expect(400);
    expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'wabaId' })]);
  });
});

describe('No MM_LITE number on a DISABLED WABA, whatever crashes or races (e2e)', () => {
  let sut: TestApp;
  let key: string;
  let db: Client;

  const auth = (): [string, string] => ['Authorization', `Bearer ${key}`];

  /** The WABA's status and its numbers' channels, read in one statement: one committed state. */
  async function committed(wabaId: string): Promise<Array<{ status: string; channel: string; phone: string }>> {
    const result = await db.query<{ status: string; channel: string; phone: string }>(
      `SELECT w.status, p.sending_channel AS channel, p.phone_number_id AS phone
         FROM wabas w JOIN phone_numbers p ON p.waba_id = w.id
        WHERE w.waba_id = $1 ORDER BY p.phone_number_id`,
      [wabaId],
    );
    return result.rows;
  }

  function isBroken(rows: Array<{ status: string; channel: string }>): boolean {
    return rows.some((row) => row.status === 'DISABLED' && row.channel === 'MM_LITE');
  }

  async function connect(
    wabaName: string,
    existingWabaId?: string,
  ): Promise<{ wabaId: string; phoneNumberId: string }> {
    const session = sut.simulator.createSignupSession({ wabaName, existingWabaId });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set(...auth())
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
  }

  function switchChannel(phoneNumberId: string, sendingChannel: string) {
    return sut
      .http()
      .patch(`/api/v1/phone-numbers/${phoneNumberId}`)
      .set(...auth())
      .send({ sendingChannel });
  }

  /** A WABA onboarded to MM Lite with `count` numbers on MM_LITE. */
  async function onMmLite(wabaName: string, count = 1): Promise<{ wabaId: string; phoneNumberIds: string[] }> {
    const first = await connect(wabaName);
    const phoneNumberIds = [first.phoneNumberId];
    while (phoneNumberIds.length < count) {
      phoneNumberIds.push((await connect(wabaName, first.wabaId)).phoneNumberId);
    }
    await sut.simulator.applyEvent(first.wabaId, 'MM_LITE_ONBOARDED', { silent: true });
    await sut
      .http()
      .post(`/api/v1/wabas/${first.wabaId}/mm-lite/refresh`)
      .set(...auth())
      .expect(200);
    for (const phoneNumberId of phoneNumberIds) {
      await switchChannel(phoneNumberId, 'MM_LITE').expect(200);
    }
    expect((await committed(first.wabaId)).map((row) => row.channel)).toEqual(phoneNumberIds.map(() => 'MM_LITE'));
    return { wabaId: first.wabaId, phoneNumberIds };
  }

  /** Disables the WABA at Meta without a webhook and lets the service learn it by a sync. */
  function disableBySync(wabaId: string): Promise<{ status: number }> {
    return sut.simulator.applyEvent(wabaId, 'DISABLE', { silent: true }).then(() =>
      sut
        .http()
        .post(`/api/v1/wabas/${wabaId}/sync`)
        .set(...auth())
        .then((response) => response),
    );
  }

  async function channelAudit(wabaId: string): Promise<Array<Record<string, unknown>>> {
    const response = await sut
      .http()
      .get(`/api/v1/audit-events?wabaId=${wabaId}&type=SENDING_CHANNEL_CHANGED`)
      .set(...auth())
      .expect(200);
    return response.body.data as Array<Record<string, unknown>>;
  }

  /** Number of this database's backends waiting for a row lock. */
  async function lockWaiters(): Promise<number> {
    const result = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
    );
    return result.rows[0]?.n ?? 0;
  }

  /**
   * Starts the requests and resolves once each of them either waits for a lock or has answered, so the
   * test knows they all got as far as they can while the lock is held. `alreadyWaiting` counts backends
   * that were waiting before (requests started earlier).
   */
  async function startAll<T>(requests: Array<() => PromiseLike<T>>, alreadyWaiting = 0): Promise<Array<Promise<T>>> {
    let settled = 0;
    const started = requests.map((request) =>
      Promise.resolve(request()).finally(() => {
        settled += 1;
      }),
    );
    const deadline = Date.now() + 20_000;
    while ((await lockWaiters()) - alreadyWaiting + settled < requests.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return started;
  }

  beforeAll(async () => {
    sut = await createTestApp();
    key = (await sut.createOrganization('Disabled WABA Co')).key;
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    // The process "dies" right after every commit, before any listener runs: nothing may depend on one.
    const emitter = sut.app.get(EventEmitter2);
    emitter.removeAllListeners(WabaStatusChangedEvent.eventName);
    expect(emitter.listenerCount(WabaStatusChangedEvent.eventName)).toBe(0);
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  describe('the disable and the channel reset commit together', () => {
    it('should take every MM_LITE number of a WABA disabled by a webhook back to CLOUD_API in the same commit', async () => {
      const { wabaId, phoneNumberIds } = await onMmLite('Banned by webhook', 2);

      const delivery = await sut.simulator.applyEvent(wabaId, 'DISABLE');
      expect(delivery?.status).toBe(200);
      // Every state any reader can see, sampled while the inbox worker applies the delivery.
      const seen: Array<Array<{ status: string; channel: string }>> = [];
      const deadline = Date.now() + 20_000;
      let rows = await committed(wabaId);
      while (rows[0]?.status !== 'DISABLED' && Date.now() < deadline) {
        seen.push(rows);
        rows = await committed(wabaId);
      }
      seen.push(rows);

      expect(rows.map((row) => [row.status, row.channel])).toEqual([
        ['DISABLED', 'CLOUD_API'],
        ['DISABLED', 'CLOUD_API'],
      ]);
      expect(seen.filter(isBroken)).toEqual([]);
      const audit = await channelAudit(wabaId);
      expect(
        audit
          .filter((record) => record.actor === 'system:waba-disabled')
          .map((record) => [record.phoneNumberId, record.source, record.before, record.after])
          .sort(),
      ).toEqual(
        [...phoneNumberIds]
          .sort()
          .map((phoneNumberId) => [
            phoneNumberId,
            'WEBHOOK',
            { sendingChannel: 'MM_LITE' },
            { sendingChannel: 'CLOUD_API' },
          ]),
      );
    });

    it('should take the numbers of a WABA disabled by a sync back to CLOUD_API before the sync answers', async () => {
      const { wabaId, phoneNumberIds } = await onMmLite('Blocked by sync');

      const synced = await disableBySync(wabaId);

      expect(synced.status).toBe(200);
      expect(await committed(wabaId)).toEqual([{ status: 'DISABLED', channel: 'CLOUD_API', phone: phoneNumberIds[0] }]);
      expect(await channelAudit(wabaId)).toEqual([
        expect.objectContaining({
          // What a read of Meta finds is SYNC, whoever asked for the read; the actor says who changed it.
          source: 'SYNC',
          actor: 'system:waba-disabled',
          after: { sendingChannel: 'CLOUD_API' },
        }),
        expect.objectContaining({ source: 'API', after: { sendingChannel: 'MM_LITE' } }),
      ]);
    });

    it('should repair, at the next sync, an MM_LITE number an earlier crash left on a DISABLED WABA', async () => {
      const { wabaId, phoneNumberIds } = await onMmLite('Left broken');
      expect((await disableBySync(wabaId)).status).toBe(200);
      // What the old listener left when the process died between the disable's commit and the event.
      await db.query("UPDATE phone_numbers SET sending_channel = 'MM_LITE' WHERE phone_number_id = $1", [
        phoneNumberIds[0],
      ]);

      await sut
        .http()
        .post(`/api/v1/wabas/${wabaId}/sync`)
        .set(...auth())
        .expect(200);

      expect(await committed(wabaId)).toEqual([{ status: 'DISABLED', channel: 'CLOUD_API', phone: phoneNumberIds[0] }]);
    });
  });

  describe('a switch to MM_LITE racing a disable', () => {
    it('should never end with an MM_LITE number on a DISABLED WABA when both wait on a locked WABA row', async () => {
      const { wabaId, phoneNumberIds } = await onMmLite('Race on the WABA row');
      const [phoneNumberId] = phoneNumberIds;
      await switchChannel(phoneNumberId, 'CLOUD_API').expect(200);
      const holder = new Client({ connectionString: sut.databaseUrl });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM wabas WHERE waba_id = $1 FOR UPDATE', [wabaId]);

        const [switching, disabling] = await startAll([
          () => switchChannel(phoneNumberId, 'MM_LITE').then((response) => response),
          () => disableBySync(wabaId),
        ]);
        await holder.query('COMMIT');
        const [switched, disabled] = await Promise.all([switching, disabling]);

        expect(disabled.status).toBe(200);
        expect([200, 409]).toContain(switched.status);
        const rows = await committed(wabaId);
        expect(rows.map((row) => row.status)).toEqual(['DISABLED']);
        expect(isBroken(rows)).toBe(false);
      } finally {
        await holder.end();
      }
    });

    it('should never end with an MM_LITE number on a DISABLED WABA when the disable commits after the switch checked the WABA', async () => {
      const { wabaId, phoneNumberIds } = await onMmLite('Race after the check');
      const [phoneNumberId] = phoneNumberIds;
      await switchChannel(phoneNumberId, 'CLOUD_API').expect(200);
      const holder = new Client({ connectionString: sut.databaseUrl });
      await holder.connect();
      try {
        // Holding the number's row stops the switch between its check of the WABA and its write.
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM phone_numbers WHERE phone_number_id = $1 FOR UPDATE', [phoneNumberId]);
        const [switching] = await startAll([
          () => switchChannel(phoneNumberId, 'MM_LITE').then((response) => response),
        ]);
        const [disabling] = await startAll([() => disableBySync(wabaId)], 1);
        await holder.query('COMMIT');
        const [switched, disabled] = await Promise.all([switching, disabling]);

        // The switch checked an ACTIVE WABA and went first; the disable then took the number back.
        expect(switched.status).toBe(200);
        expect(disabled.status).toBe(200);
        expect(await committed(wabaId)).toEqual([{ status: 'DISABLED', channel: 'CLOUD_API', phone: phoneNumberId }]);
        expect((await channelAudit(wabaId)).slice(0, 2)).toEqual([
          expect.objectContaining({
            source: 'SYNC',
            actor: 'system:waba-disabled',
            after: { sendingChannel: 'CLOUD_API' },
          }),
          expect.objectContaining({ source: 'API', after: { sendingChannel: 'MM_LITE' } }),
        ]);
      } finally {
        await holder.end();
      }
    });
  });
});

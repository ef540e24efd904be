import { startWebhookReceiver, type WebhookReceiver } from 'src/meta-simulator/meta-simulator.testing';
import type { SignupSession } from 'src/meta-simulator/meta-simulator.types';
import { SyncRoundService } from 'src/modules/sync/sync-round.service';
import type { SyncRoundResult } from 'src/modules/sync/sync-round.types';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

const HOUR_MS = 3_600_000;

interface WabaDetailBody {
  webhooks: string | null;
  webhooksOverrideUri: string | null;
  webhooksCheckedAt: string | null;
}

interface AuditBody {
  type: string;
  source: string;
  actor: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/**
 * Webhook subscription health (graph-api-2026.md §A.8) against the simulator: the rounds check each WABA's
 * `subscribed_apps` once per WEBHOOKS_CHECK_INTERVAL_MINUTES (360 by default), re-subscribe a removed one and
 * show an overridden one with where its deliveries go. Rounds run with a clock hours ahead (`runRound(now)`)
 * to stand for the rounds of the hours between.
 */
describe('Webhook subscriptions (e2e)', () => {
  let sut: TestApp;
  let organization: { id: string; key: string };
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    sut = await createTestApp();
    organization = await sut.createOrganization('Subscriptions Ltd');
    receiver = await startWebhookReceiver();
  });

  afterAll(async () => {
    await receiver.close();
    await sut.close();
  });

  beforeEach(() => {
    receiver.received.length = 0;
  });

  const auth = () => ({ Authorization: `Bearer ${organization.key}` });

  async function connect(wabaName: string): Promise<SignupSession> {
    const session = sut.simulator.createSignupSession({ wabaName });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set(auth())
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return session;
  }

  async function detail(wabaId: string): Promise<WabaDetailBody> {
    const response = await sut.http().get(`/api/v1/wabas/${wabaId}`).set(auth()).expect(200);
    return response.body as WabaDetailBody;
  }

  async function audit(wabaId: string, type: string): Promise<AuditBody[]> {
    const response = await sut.http().get('/api/v1/audit-events').query({ wabaId, type }).set(auth()).expect(200);
    return (response.body as { data: AuditBody[] }).data;
  }

  /**
   * A periodic round whose clock is `hours` ahead of now, and the subscribed_apps calls it made for this WABA
   * (the WABAs of earlier tests come due too).
   */
  async function roundAt(
    hours: number,
    wabaId: string,
  ): Promise<{ round: SyncRoundResult; reads: number; posts: number }> {
    sut.simulator.clearRequests();
    const round = await sut.app.get(SyncRoundService).runRound(new Date(Date.now() + hours * HOUR_MS));
    const calls = sut.simulator.requests.filter((entry) => entry.path === `/${wabaId}/subscribed_apps`);
    return {
      round,
      reads: calls.filter((entry) => entry.method === 'GET').length,
      posts: calls.filter((entry) => entry.method === 'POST').length,
    };
  }

  it('should find a removed subscription in a round, subscribe the app again and audit both as SYNC', async () => {
    const session = await connect('Removed Subscription');
    // Connect subscribed the app: that is what Meta said as of then.
    expect(await detail(session.wabaId)).toMatchObject({
      webhooks: 'SUBSCRIBED',
      webhooksOverrideUri: null,
      webhooksCheckedAt: expect.any(String),
    });

    // The customer removes the app in Business settings: Meta sends no webhook for that.
    await sut.simulator.applyEvent(session.wabaId, 'WEBHOOKS_UNSUBSCRIBED');
    expect(sut.simulator.getWabaState(session.wabaId)?.subscribedApps).toEqual([]);

    const checked = await roundAt(7, session.wabaId);

    expect(checked.round.webhooks).toEqual({
      checked: 1,
      missing: 1,
      overridden: 0,
      resubscribed: 1,
      failed: 0,
      skipped: 0,
    });
    expect({ reads: checked.reads, posts: checked.posts }).toEqual({ reads: 1, posts: 1 });
    expect(sut.simulator.getWabaState(session.wabaId)?.subscribedApps).toEqual([
      { appId: expect.any(String), overrideCallbackUri: null },
    ]);
    expect(await detail(session.wabaId)).toMatchObject({ webhooks: 'SUBSCRIBED', webhooksOverrideUri: null });
    expect(await audit(session.wabaId, 'WEBHOOKS_CHANGED')).toEqual([
      expect.objectContaining({
        source: 'SYNC',
        actor: 'system',
        before: { webhooks: 'SUBSCRIBED', overrideUri: null },
        after: { webhooks: 'MISSING', overrideUri: null },
      }),
    ]);
    expect(await audit(session.wabaId, 'WEBHOOKS_RESUBSCRIBED')).toEqual([
      expect.objectContaining({
        source: 'SYNC',
        actor: 'system',
        before: { webhooks: 'MISSING', overrideUri: null },
        after: { webhooks: 'SUBSCRIBED', overrideUri: null },
      }),
    ]);
  });

  it('should show an overridden WABA with where its deliveries go, and leave the override alone', async () => {
    const session = await connect('Overridden Elsewhere');
    await sut.simulator.applyEvent(session.wabaId, 'WEBHOOKS_OVERRIDDEN', { overrideCallbackUri: receiver.url });

    const checked = await roundAt(7, session.wabaId);

    expect(checked.round.webhooks).toMatchObject({ overridden: 1, missing: 0, resubscribed: 0 });
    expect({ reads: checked.reads, posts: checked.posts }).toEqual({ reads: 1, posts: 0 });
    expect(await detail(session.wabaId)).toMatchObject({ webhooks: 'OVERRIDDEN', webhooksOverrideUri: receiver.url });
    expect(await audit(session.wabaId, 'WEBHOOKS_CHANGED')).toEqual([
      expect.objectContaining({
        source: 'SYNC',
        after: { webhooks: 'OVERRIDDEN', overrideUri: receiver.url },
      }),
    ]);

    // Meta delivers the number's quality change to the override, and account_update still to the app.
    const quality = await sut.simulator.applyEvent(session.wabaId, 'QUALITY_CHANGED', { qualityRating: 'RED' });
    expect(quality).toMatchObject({ url: receiver.url, route: 'override', status: 200 });
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0].body).toContain('phone_number_quality_update');
    const disabled = await sut.simulator.applyEvent(session.wabaId, 'DISABLE');
    expect(disabled).toMatchObject({ url: `${sut.url}/webhooks/meta`, route: 'app', status: 200 });
  });

  it("should check the subscription in an on-demand sync of the WABA, whatever the rounds' schedule", async () => {
    const session = await connect('Synced On Demand');
    await sut.simulator.applyEvent(session.wabaId, 'WEBHOOKS_OVERRIDDEN', { overrideCallbackUri: receiver.url });
    sut.simulator.clearRequests();

    const synced = await sut.http().post(`/api/v1/wabas/${session.wabaId}/sync`).set(auth()).expect(200);

    // The answer already says what the check found: it ran before the WABA was read.
    expect(synced.body).toMatchObject({ webhooks: 'OVERRIDDEN', webhooksOverrideUri: receiver.url });
    const calls = sut.simulator.requests.filter((entry) => entry.path === `/${session.wabaId}/subscribed_apps`);
    expect(calls.map((entry) => entry.method)).toEqual(['GET']);
    expect(await audit(session.wabaId, 'WEBHOOKS_CHANGED')).toEqual([
      expect.objectContaining({ source: 'SYNC', after: { webhooks: 'OVERRIDDEN', overrideUri: receiver.url } }),
    ]);

    // Removed altogether: the next on-demand sync finds it missing and subscribes the app again.
    await sut.simulator.applyEvent(session.wabaId, 'WEBHOOKS_UNSUBSCRIBED');
    const repaired = await sut.http().post(`/api/v1/wabas/${session.wabaId}/sync`).set(auth()).expect(200);
    expect(repaired.body).toMatchObject({ webhooks: 'SUBSCRIBED', webhooksOverrideUri: null });
    expect(sut.simulator.getWabaState(session.wabaId)?.subscribedApps).toEqual([
      { appId: expect.any(String), overrideCallbackUri: null },
    ]);
    expect(await audit(session.wabaId, 'WEBHOOKS_RESUBSCRIBED')).toHaveLength(1);
  });

  it('should check a WABA once per interval, not in every round', async () => {
    const session = await connect('Checked Every Few Rounds');

    // Hourly rounds for half a day: the six-hour interval makes two of them check, the others make no call.
    const readsPerRound: number[] = [];
    for (let hour = 1; hour <= 13; hour += 1) {
      readsPerRound.push((await roundAt(hour, session.wabaId)).reads);
    }

    expect(readsPerRound).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
    expect(await detail(session.wabaId)).toMatchObject({ webhooks: 'SUBSCRIBED' });
    // A subscription found in place is no news: nothing audited.
    expect(await audit(session.wabaId, 'WEBHOOKS_CHANGED')).toEqual([]);
  });

  it('should report the webhooks checks in the admin round', async () => {
    const response = await sut
      .http()
      .post('/api/v1/admin/sync-rounds')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .expect(200);

    expect(response.body.webhooks).toEqual({
      checked: expect.any(Number),
      missing: expect.any(Number),
      overridden: expect.any(Number),
      resubscribed: expect.any(Number),
      failed: expect.any(Number),
      skipped: expect.any(Number),
    });
  });
});

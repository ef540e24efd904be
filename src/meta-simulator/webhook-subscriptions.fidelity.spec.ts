import { MetaSimulator } from './meta-simulator';
import { SIM_DEFAULT_OVERRIDE_CALLBACK_URI, SIM_DEMO_IDS } from './meta-simulator.constants';
import { graphCall, readFixture, shape, startWebhookReceiver, type WebhookReceiver } from './meta-simulator.testing';

interface SubscribedAppsBody {
  data: Array<{
    whatsapp_business_api_data: { id: string; link: string; name: string };
    override_callback_uri?: string;
  }>;
}

const SEND = {
  messaging_product: 'whatsapp',
  to: '447700900123',
  type: 'template',
  template: { name: 'promo', language: { code: 'en_US' } },
};

/**
 * Subscription removal and overrides (graph-api-2026.md §A.8, REF §2.6, §6.9) against the 2026 fixtures:
 * `subscribed_apps` as Meta lists it, and where the simulator then delivers the WABA's webhooks.
 */
describe('MetaSimulator webhook subscriptions (fixtures/2026/api/waba.subscribed_apps.get.json, derived/…empty)', () => {
  let sut: MetaSimulator;
  let base: string;
  let token: string;
  let app: WebhookReceiver;
  let elsewhere: WebhookReceiver;

  const subscribedApps = async (): Promise<unknown> =>
    (await graphCall(base, 'GET', `/v25.0/${SIM_DEMO_IDS.wabaId}/subscribed_apps`, { token })).json;
  const sendTemplate = async (): Promise<void> => {
    await graphCall(base, 'POST', `/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, { token, body: SEND });
    await sut.flushWebhooks();
  };

  beforeAll(async () => {
    app = await startWebhookReceiver();
    elsewhere = await startWebhookReceiver();
    sut = new MetaSimulator({
      appId: SIM_DEMO_IDS.appId,
      appSecret: 'fidelity-secret',
      webhookUrl: app.url,
      statusWebhooks: 'all',
    });
    base = await sut.start();
  });

  afterAll(async () => {
    await sut.stop();
    await app.close();
    await elsewhere.close();
  });

  beforeEach(async () => {
    await sut.flushWebhooks();
    sut.reset();
    token = sut.seedDemo().token;
    app.received.length = 0;
    elsewhere.received.length = 0;
  });

  it('should list an override set elsewhere exactly in the shape of the 2026 fixture', async () => {
    const fixture = readFixture<SubscribedAppsBody>('2026/api/waba.subscribed_apps.get.json');
    const overrideUri = fixture.data[0].override_callback_uri;

    await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_OVERRIDDEN', { overrideCallbackUri: overrideUri });

    const listed = (await subscribedApps()) as SubscribedAppsBody;
    expect(shape(listed)).toEqual(shape(fixture));
    expect(listed.data[0].override_callback_uri).toBe(overrideUri);
    expect(listed.data[0].whatsapp_business_api_data).toEqual({
      id: SIM_DEMO_IDS.appId,
      link: `https://www.facebook.com/games/?app_id=${SIM_DEMO_IDS.appId}`,
      name: expect.any(String),
    });
  });

  it('should list no app once the subscription is removed, exactly like the empty fixture', async () => {
    await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_UNSUBSCRIBED');

    expect(await subscribedApps()).toEqual(readFixture('2026/derived/waba.subscribed_apps.get.empty.json'));
  });

  it('should send no webhook for either change: only a read of subscribed_apps shows them', async () => {
    expect(await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_OVERRIDDEN')).toBeNull();
    expect(await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_UNSUBSCRIBED')).toBeNull();
    expect(app.received).toEqual([]);
  });

  it("should deliver the WABA's status and quality webhooks to the override, and account_update to the app", async () => {
    await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_OVERRIDDEN', { overrideCallbackUri: elsewhere.url });

    await sendTemplate();
    const quality = await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'QUALITY_CHANGED', { qualityRating: 'YELLOW' });
    const disabled = await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'DISABLE');

    const fields = (receiver: WebhookReceiver): string[] =>
      receiver.received.map(
        (item) =>
          (JSON.parse(item.body) as { entry: Array<{ changes: Array<{ field: string }> }> }).entry[0].changes[0].field,
      );
    expect(new Set(fields(elsewhere))).toEqual(new Set(['messages', 'phone_number_quality_update']));
    expect(fields(app)).toEqual(['account_update']);
    expect(quality).toMatchObject({ url: elsewhere.url, route: 'override', status: 200 });
    expect(disabled).toMatchObject({ url: app.url, route: 'app', status: 200 });
  });

  it('should send no message status webhook for a WABA the app is not subscribed to', async () => {
    await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_UNSUBSCRIBED');

    await sendTemplate();

    expect(app.received).toEqual([]);
    expect(sut.webhooks.filter((delivery) => delivery.route === 'none').length).toBeGreaterThan(0);
  });

  it('should post nothing anywhere for the default override, a reserved name that never resolves', async () => {
    await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_OVERRIDDEN');

    const quality = await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'QUALITY_CHANGED');

    expect(quality).toMatchObject({ url: SIM_DEFAULT_OVERRIDE_CALLBACK_URI, route: 'override', status: 0 });
    expect(app.received).toEqual([]);
  });

  it('should refuse an override that is not an http(s) URL of at most 200 characters', async () => {
    await expect(
      sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_OVERRIDDEN', {
        overrideCallbackUri: `https://example.com/${'a'.repeat(200)}`,
      }),
    ).rejects.toThrow(/at most 200/);
    await expect(
      sut.applyEvent(SIM_DEMO_IDS.wabaId, 'WEBHOOKS_OVERRIDDEN', { overrideCallbackUri: 'ftp://x' }),
    ).rejects.toThrow(/http\(s\) URL/);
  });
});

import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { type FixtureRequest, useFixtureGraph } from './graph-fixture-server.testing';
import { META_WABA_FIELDS } from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import { metaFixturesDir } from 'src/meta-simulator/meta-simulator.testing';

const META_FIXTURES = metaFixturesDir();
const TOKEN = 'EAAfixtureBusinessToken0123456789';
const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };

function fixture(file: string): unknown {
  return JSON.parse(readFileSync(path.join(META_FIXTURES, file), 'utf8'));
}

/**
 * The real GraphApiMetaGateway against Meta's published example bodies (shared fixtures) served over
 * HTTP: the UNCONFIRMED variants the simulator does not produce (fields absent, placeholders, paging
 * without `next`, foreign `paging.next` hosts, Retry-After).
 */
describe(`${GraphApiMetaGateway.name} (recorded fixtures)`, () => {
  const graph = useFixtureGraph();
  const { answer, receivedAt } = graph;
  let sut: GraphApiMetaGateway;
  let origin: string;
  let received: FixtureRequest[];

  beforeEach(() => {
    ({ sut, origin, received } = graph);
  });

  it('should read owner_business_info with its terms status and fall back to the requested id', async () => {
    answer('GET /102290129340398', { body: fixture('api/waba.get.owner_business_info.normalized.json') });

    const waba = await sut.getWaba('102290129340398', TOKEN);

    expect(waba).toMatchObject({
      id: '102290129340398',
      ownerBusinessId: '<BM_ID>',
      ownerBusinessName: 'WhatsApp PaidSend Testing',
      ownerBusinessTermsStatus: { status: 'TERM_OF_SERVICE_SIGNED', time: '2025-08-13' },
    });
    expect(receivedAt('GET /v25.0/102290129340398')[0].headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("should read subscribed_apps: Meta's 2026 example with an override, the third-party list and the empty list", async () => {
    answer('GET /102290129340398/subscribed_apps', { body: fixture('2026/api/waba.subscribed_apps.get.json') });
    expect(await sut.getSubscribedApps('102290129340398', TOKEN)).toEqual([
      {
        appId: '670843887433847',
        name: 'Lucky Shrub',
        overrideCallbackUri: 'https://my-waba-alternate-callback.com/webhook',
      },
    ]);
    answer('GET /102290129340398/subscribed_apps', { body: fixture('api/waba.subscribed_apps.get.json') });
    expect(await sut.getSubscribedApps('102290129340398', TOKEN)).toEqual([
      { appId: '12345', name: 'My App', overrideCallbackUri: 'https://example.com/wa_webhook' },
      { appId: '67890', name: 'My second app', overrideCallbackUri: null },
    ]);
    answer('GET /102290129340398/subscribed_apps', {
      body: fixture('2026/derived/waba.subscribed_apps.get.empty.json'),
    });
    expect(await sut.getSubscribedApps('102290129340398', TOKEN)).toEqual([]);
  });

  it('should tolerate paging on subscribed_apps (§A.8) and follow it to the end', async () => {
    answer('GET /102290129340398/subscribed_apps', {
      body: { data: [], paging: { cursors: { before: 'QVFI', after: 'QVFI' } } },
    });
    expect(await sut.getSubscribedApps('102290129340398', TOKEN)).toEqual([]);
    answer(
      'GET /102290129340398/subscribed_apps',
      { body: { data: [], paging: { next: `${origin}/v25.0/102290129340398/subscribed_apps?after=QVFI` } } },
      { body: fixture('2026/api/waba.subscribed_apps.get.json') },
    );
    expect(await sut.getSubscribedApps('102290129340398', TOKEN)).toHaveLength(1);
  });

  it('should fail a subscribed_apps answer with an entry it cannot read rather than call our app missing', async () => {
    answer('GET /102290129340398/subscribed_apps', {
      body: { data: [{ override_callback_uri: 'https://elsewhere.example/hook' }] },
    });
    const error = await sut.getSubscribedApps('102290129340398', TOKEN).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(MetaGatewayException);
    expect((error as MetaGatewayException).code).toBe(MetaGatewayErrorCode.TRANSIENT);
  });

  it('should leave absent fields undefined (no owner_business_info, no MM status, no health_status)', async () => {
    answer('GET /102290129340398', { body: fixture('api/waba.get.fields_name_status_currency_country_bv.json') });

    const waba = await sut.getWaba('102290129340398', TOKEN);

    // undefined, not null: a field Meta did not send says nothing about its value (the sync keeps it).
    expect(Object.entries(waba).filter(([, value]) => value !== undefined)).toEqual([
      ['id', '102290129340398'],
      ['name', 'Lucky Shrub'],
      ['status', 'ACTIVE'],
      ['currency', 'USD'],
      ['country', 'US'],
      ['businessVerificationStatus', 'verified'],
    ]);
  });

  it('should read an explicit null or empty field as null and a field of the wrong type as absent', async () => {
    answer('GET /102290129340398', {
      body: {
        id: '102290129340398',
        name: '',
        currency: null,
        country: { code: 'US' },
        marketing_messages_onboarding_status: null,
        owner_business_info: { id: '<BM_ID>', marketing_messages_onboarding_status: null },
        health_status: null,
      },
    });
    answer('GET /1906385232743451', { body: { id: '1906385232743451', quality_rating: null, throughput: null } });

    const waba = await sut.getWaba('102290129340398', TOKEN);
    const phone = await sut.getPhoneNumber('1906385232743451', TOKEN);

    expect(waba).toMatchObject({
      name: null,
      currency: null,
      marketingMessagesOnboardingStatus: null,
      ownerBusinessId: '<BM_ID>',
      ownerBusinessTermsStatus: null,
      healthStatus: null,
    });
    expect(waba.country).toBeUndefined();
    expect(waba.timezoneId).toBeUndefined();
    expect(phone).toMatchObject({ id: '1906385232743451', qualityRating: null, throughputLevel: null });
    expect(phone.verifiedName).toBeUndefined();
  });

  it('should map a BLOCKED health_status and tolerate a non-numeric error_code', async () => {
    answer('GET /102290129340398', { body: fixture('derived/waba.get.disabled.TEMPLATE.json') });

    const waba = await sut.getWaba('102290129340398', TOKEN);

    expect(waba.healthStatus?.canSendMessage).toBe('BLOCKED');
    expect(waba.healthStatus?.entities[0]).toMatchObject({
      entityType: 'WABA',
      canSendMessage: 'BLOCKED',
      errors: [{ errorCode: null, errorDescription: '<UNCONFIRMED>', possibleSolution: '<UNCONFIRMED>' }],
    });
  });

  it.each([
    ['without paging', 'api/waba.phone_numbers.default_desc.json', 2],
    ['with cursors but no next', 'api/waba.phone_numbers.filter_account_mode_sandbox.json', 1],
  ])('should stop listing after one page %s', async (_label, file, count) => {
    answer('GET /102290129340398/phone_numbers', { body: fixture(file) });

    const numbers = await sut.listPhoneNumbers('102290129340398', TOKEN);

    expect(numbers).toHaveLength(count);
    expect(['GREEN', 'NA', 'UNKNOWN']).toEqual(expect.arrayContaining(numbers.map((number) => number.qualityRating)));
    expect(receivedAt('GET /v25.0/102290129340398/phone_numbers')).toHaveLength(1);
  });

  it('should follow a paging.next naming another host on the configured origin, without its access_token', async () => {
    answer(
      'GET /102290129340398/phone_numbers',
      {
        body: {
          data: [{ id: '1906385232743451', quality_rating: 'GREEN' }],
          paging: {
            cursors: { after: 'QVFI' },
            next: 'https://graph.facebook.com/v25.0/102290129340398/phone_numbers?limit=1&after=QVFI&access_token=LEAKED',
          },
        },
      },
      { body: { data: [{ id: '1913623884432103', quality_rating: 'NA' }], paging: { cursors: { after: 'QVFJ' } } } },
    );

    const numbers = await sut.listPhoneNumbers('102290129340398', TOKEN);

    expect(numbers.map((number) => number.id)).toEqual(['1906385232743451', '1913623884432103']);
    const [, second] = receivedAt('GET /v25.0/102290129340398/phone_numbers');
    expect(second.url).toContain('after=QVFI');
    expect(second.url).not.toContain('access_token');
    expect(second.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("should read debug_token's granted WABAs newest first and expires_at as a date", async () => {
    answer('GET /debug_token', { body: fixture('api/debug_token.json') });

    const inspection = await sut.inspectToken(TOKEN);

    expect(inspection).toEqual({
      isValid: true,
      appId: '670843887433847',
      expiresAt: new Date(1665090000 * 1000),
      scopes: ['whatsapp_business_management', 'whatsapp_business_messaging', 'public_profile'],
      grantedWabaIds: ['102289599326934', '101569239400667'],
      error: null,
    });
    const [request] = receivedAt('GET /v25.0/debug_token');
    expect(request.headers.authorization).toBe('Bearer 670843887433847|fixture-app-secret');
  });

  it('should treat a missing expires_in of the code exchange as unknown', async () => {
    answer('GET /oauth/access_token', { body: fixture('derived/oauth.access_token.success.json') });

    const exchanged = await sut.exchangeCode('AQDcode');

    expect(exchanged).toEqual({ accessToken: '<BUSINESS_TOKEN>', expiresInSeconds: null });
    const [request] = receivedAt('GET /v25.0/oauth/access_token');
    expect(request.headers.authorization).toBeUndefined();
    expect(new URL(request.url, origin).searchParams.get('client_secret')).toBe('fixture-app-secret');
  });

  it('should read the business terms status object (which carries no id)', async () => {
    answer('GET /506914307656634', { body: fixture('api/business.get.marketing_messages_onboarding_status.json') });

    await expect(sut.getBusinessTermsStatus('506914307656634', TOKEN)).resolves.toEqual({
      status: 'TERM_OF_SERVICE_SIGNED',
      time: '2025-10-07',
    });
  });

  it('should fail with NOT_FOUND only the IDs a multi-ID answer leaves out', async () => {
    answer('GET /', { body: fixture('derived/graph.multi_id.response.json') });

    const result = await sut.getWabas(['102290129340398', '980198427658004', '111'], TOKEN);

    expect(result.found.get('980198427658004')?.marketingMessagesOnboardingStatus).toBe('ONBOARDED');
    expect(result.failed.get('111')).toMatchObject({ code: MetaGatewayErrorCode.NOT_FOUND });
    expect(result.calls).toBe(1);
    // Commas as Graph's examples write them, not percent-encoded.
    expect(receivedAt('GET /v25.0/')[0].url).toBe(
      `/v25.0/?ids=102290129340398,980198427658004,111&fields=${META_WABA_FIELDS}`,
    );
  });

  it('should return the wamid of a marketing send', async () => {
    answer('POST /106540352242922/marketing_messages', {
      body: fixture('api/mm.marketing_messages.send.phone.response.json'),
    });

    await expect(
      sut.sendMarketingMessage('106540352242922', { phone: '+16505551234' }, TEMPLATE, TOKEN),
    ).resolves.toEqual({
      messageId: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA',
    });
  });

  it('should map an unreadable 200 of a send to OUTCOME_UNKNOWN without resending', async () => {
    answer('POST /106540352242922/messages', { body: '<html>oops</html>' });

    const error = await sut
      .sendTemplateMessage('106540352242922', { phone: '+16505551234' }, TEMPLATE, TOKEN)
      .catch((caught: unknown) => caught);

    // Meta may have taken the message: a transient failure would invite a second, duplicate send.
    expect(error).toBeInstanceOf(MetaGatewayException);
    expect((error as MetaGatewayException).code).toBe(MetaGatewayErrorCode.OUTCOME_UNKNOWN);
    expect(receivedAt('POST /v25.0/106540352242922/messages')).toHaveLength(1);
  });

  it('should wait out a short Retry-After and then succeed', async () => {
    answer(
      'GET /102290129340398',
      { status: 503, body: 'busy', headers: { 'Retry-After': '1' } },
      { body: { id: '102290129340398', name: 'Lucky Shrub' } },
    );

    await expect(sut.getWaba('102290129340398', TOKEN)).resolves.toMatchObject({ name: 'Lucky Shrub' });
    expect(receivedAt('GET /v25.0/102290129340398')).toHaveLength(2);
  });

  it('should not wait out a long Retry-After and surface it instead', async () => {
    answer('GET /102290129340398', { status: 429, body: '', headers: { 'Retry-After': '120' } });

    const error = await sut.getWaba('102290129340398', TOKEN).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: MetaGatewayErrorCode.RATE_LIMITED, retryAfterSeconds: 120 });
    expect(receivedAt('GET /v25.0/102290129340398')).toHaveLength(1);
  });

  it('should pause the WABA named in a throttled X-Business-Use-Case-Usage of a successful answer', async () => {
    answer('GET /102290129340398', {
      body: { id: '102290129340398' },
      headers: {
        'X-Business-Use-Case-Usage': JSON.stringify(fixture('derived/header.x-business-use-case-usage.throttled.json')),
      },
    });

    await sut.getWaba('102290129340398', TOKEN);

    expect(sut.throttledUntil('102290129340398')!.getTime()).toBeGreaterThan(Date.now() + 18 * 60_000);
  });

  it('should refuse an id that is not a Graph id without calling Meta', async () => {
    const error = await sut.getWaba('../me', TOKEN).catch((caught: unknown) => caught);

    expect(error).toMatchObject({ code: MetaGatewayErrorCode.INVALID_REQUEST });
    expect(received).toHaveLength(0);
  });
});

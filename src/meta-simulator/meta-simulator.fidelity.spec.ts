import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

import { MetaSimulator } from './meta-simulator';
import { SIM_DEMO_IDS } from './meta-simulator.constants';
import {
  graphCall,
  readFixture,
  metaFixturesDir,
  shape,
  startWebhookReceiver,
  type GraphCallResult,
  type WebhookReceiver,
} from './meta-simulator.testing';
import type { JsonObject, SimEventParams, SimEventType } from './meta-simulator.types';

type Json = unknown;

const APP_SECRET = 'fidelity-secret';
const SYSTEM_TOKEN = 'SYSTEM_USER_TOKEN_FIDELITY';

function keys(value: Json): string[] {
  return Object.keys(value as Record<string, Json>).sort();
}

function withoutTrace(body: Json): Json {
  const copy = structuredClone(body) as { error: Record<string, Json> };
  delete copy.error.fbtrace_id;
  return copy;
}

/** Loads waba-subset.openapi.json with the overlay recommended by specs/README.md §5. */
function buildValidator(): (schemaName: string, value: Json) => string | null {
  const spec = JSON.parse(readFileSync(join(metaFixturesDir(), 'specs', 'waba-subset.openapi.json'), 'utf8')) as {
    components: { schemas: Record<string, Record<string, Json>> };
  };
  const schemas = structuredClone(spec.components.schemas);
  schemas.BusinessVerificationStatus = {
    type: 'string',
    enum: [
      'expired',
      'failed',
      'ineligible',
      'not_verified',
      'pending',
      'pending_need_more_info',
      'pending_submission',
      'rejected',
      'revoked',
      'verified',
    ],
  };
  const addEnum = (schema: Record<string, Json> | undefined, values: string[]): void => {
    if (schema && Array.isArray(schema.enum)) {
      schema.enum = [...new Set([...(schema.enum as string[]), ...values])];
    }
  };
  addEnum(schemas.WhatsAppPhoneNumberStatus, ['CONNECTED']);
  addEnum(schemas.WhatsAppPhoneNumberQualityRating, ['UNKNOWN']);
  addEnum(schemas.WhatsAppCodeVerificationStatus, ['NOT_VERIFIED']);
  const phoneInfo = schemas.PhoneNumberInfo.properties as Record<string, Record<string, Json>>;
  addEnum(phoneInfo.quality_rating, ['UNKNOWN']);
  addEnum(phoneInfo.code_verification_status, ['NOT_VERIFIED']);
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'meta', components: { ...spec.components, schemas } });
  return (schemaName, value) => {
    const validate = ajv.getSchema(`meta#/components/schemas/${schemaName}`);
    if (!validate) {
      return `no schema ${schemaName}`;
    }
    return validate(value) ? null : ajv.errorsText(validate.errors);
  };
}

describe('MetaSimulator fidelity (fixtures and official OpenAPI subset)', () => {
  let sut: MetaSimulator;
  let base: string;
  let token: string;
  let receiver: WebhookReceiver;
  let nowMs = Date.parse('2026-05-01T10:00:00Z');
  let validate: (schemaName: string, value: Json) => string | null;

  const get = (path: string, as: string = token): Promise<GraphCallResult> =>
    graphCall(base, 'GET', path, { token: as });
  const post = (path: string, body: unknown, as: string = token): Promise<GraphCallResult> =>
    graphCall(base, 'POST', path, { token: as, body });

  /** Every error the simulator answers must fit the official GraphAPIError schema. */
  const expectGraphError = (res: GraphCallResult, status: number): Record<string, Json> => {
    expect(res.status).toBe(status);
    expect(validate('GraphAPIError', res.json)).toBeNull();
    return (res.json as { error: Record<string, Json> }).error;
  };

  const lastDelivery = (): { body: JsonObject; signature: string | undefined } => {
    const delivery = receiver.received[receiver.received.length - 1];
    return {
      body: JSON.parse(delivery.body) as JsonObject,
      signature: delivery.headers['x-hub-signature-256'] as string,
    };
  };

  beforeAll(async () => {
    validate = buildValidator();
    receiver = await startWebhookReceiver();
    sut = new MetaSimulator({
      appId: SIM_DEMO_IDS.appId,
      appSecret: APP_SECRET,
      systemUserToken: SYSTEM_TOKEN,
      webhookUrl: receiver.url,
      now: () => new Date(nowMs),
      statusWebhooks: 'all',
    });
    base = await sut.start();
  });

  afterAll(async () => {
    await sut.stop();
    await receiver.close();
  });

  beforeEach(async () => {
    await sut.flushWebhooks();
    sut.reset();
    token = sut.seedDemo().token;
    receiver.received.length = 0;
    // Sends are counted per second; a fresh second per test keeps throughput limits out of the way.
    nowMs += 60_000;
  });

  describe('WABA node (fixtures/api/waba.*)', () => {
    it('should answer the documented WABA example field for field', async () => {
      const res = await get(
        `/v25.0/${SIM_DEMO_IDS.wabaId}?fields=name,status,currency,country,business_verification_status`,
      );
      expect(res.status).toBe(200);
      expect(res.json).toEqual(readFixture('api/waba.get.fields_name_status_currency_country_bv.json'));
      expect(validate('WhatsAppBusinessAccount', res.json)).toBeNull();
    });

    it('should answer account_review_status with the fixture keys and a documented value', async () => {
      const fixture = readFixture<Record<string, Json>>('api/waba.get.account_review_status.json');
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}?fields=account_review_status`);
      expect(keys(res.json)).toEqual(keys(fixture));
      expect(['PENDING', 'APPROVED', 'REJECTED']).toContain((res.json as Record<string, Json>).account_review_status);
    });

    it.each([
      ['api/waba.get.marketing_messages_onboarding_status.eligible.json'],
      ['derived/waba.get.marketing_messages_onboarding_status.pending_internal_setup.json'],
      ['derived/waba.get.marketing_messages_onboarding_status.pending_valid_payment_method.json'],
      ['derived/waba.get.marketing_messages_onboarding_status.onboarded.json'],
      ['derived/waba.get.marketing_messages_onboarding_status.ineligible_inactive_or_restricted.json'],
    ])('should answer marketing_messages_onboarding_status like %s', async (fixturePath) => {
      const fixture = readFixture<{ marketing_messages_onboarding_status: string }>(fixturePath);
      sut.updateWaba(SIM_DEMO_IDS.wabaId, {
        marketingMessagesOnboardingStatus: fixture.marketing_messages_onboarding_status,
      });
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}?fields=marketing_messages_onboarding_status`);
      expect(shape(res.json)).toEqual(shape(fixture));
      expect(res.json).toEqual({ ...fixture, id: SIM_DEMO_IDS.wabaId });
    });

    it('should carry the portfolio terms status inside owner_business_info', async () => {
      const fixture = readFixture<Record<string, Json>>('api/waba.get.owner_business_info.normalized.json');
      sut.setBusinessTermsStatus(SIM_DEMO_IDS.businessId, 'TERM_OF_SERVICE_SIGNED');
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}?fields=owner_business_info`);
      const { id, ...rest } = res.json as Record<string, Json>;
      expect(id).toBe(SIM_DEMO_IDS.wabaId);
      expect(shape(rest)).toEqual(shape(fixture));
      const info = rest.owner_business_info as {
        marketing_messages_onboarding_status: { status: string; time: string };
      };
      expect(info.marketing_messages_onboarding_status.status).toBe('TERM_OF_SERVICE_SIGNED');
      expect(info.marketing_messages_onboarding_status.time).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    });

    it('should update and read back disable_marketing_messages_on_cloud_api like the fixtures', async () => {
      const update = await post(`/v25.0/${SIM_DEMO_IDS.wabaId}`, { disable_marketing_messages_on_cloud_api: true });
      expect(update.json).toEqual(readFixture('api/waba.post.disable_marketing_messages_on_cloud_api.response.json'));
      const read = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}?fields=disable_marketing_messages_on_cloud_api`);
      expect(read.json).toEqual(readFixture('api/waba.get.disable_marketing_messages_on_cloud_api.json'));
    });

    it('should answer the business terms status without an id, like the fixture', async () => {
      sut.setBusinessTermsStatus(SIM_DEMO_IDS.businessId, 'TERM_OF_SERVICE_SIGNED');
      const res = await get(`/v25.0/${SIM_DEMO_IDS.businessId}?fields=marketing_messages_onboarding_status`);
      expect(shape(res.json)).toEqual(shape(readFixture('api/business.get.marketing_messages_onboarding_status.json')));
    });

    it('should list subscribed apps in the documented shape', async () => {
      const fixture = readFixture<{ data: Array<Record<string, Json>> }>('api/waba.subscribed_apps.get.json');
      const subscribe = await post(`/v25.0/${SIM_DEMO_IDS.wabaId}/subscribed_apps`, {
        override_callback_uri: 'https://example.com/wa_webhook',
        verify_token: 'x',
      });
      expect(subscribe.json).toEqual(readFixture('api/success_true.json'));
      expect(validate('SubscriptionResponse', subscribe.json)).toBeNull();
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}/subscribed_apps`);
      const data = (res.json as { data: Array<Record<string, Json>> }).data;
      expect(shape(data[0])).toEqual(shape(fixture.data[0]));
      const removed = await graphCall(base, 'DELETE', `/v25.0/${SIM_DEMO_IDS.wabaId}/subscribed_apps`, { token });
      expect(removed.json).toEqual(readFixture('api/success_true.json'));
      expect(validate('SubscriptionResponse', removed.json)).toBeNull();
    });

    it('should list client WABAs with the documented default fields', async () => {
      const fixture = readFixture<{ data: Array<Record<string, Json>> }>(
        'api/business.client_whatsapp_business_accounts.json',
      );
      const res = await get(`/v25.0/${SIM_DEMO_IDS.partnerBusinessId}/client_whatsapp_business_accounts`, SYSTEM_TOKEN);
      const data = (res.json as { data: Array<Record<string, Json>> }).data;
      expect(data).toHaveLength(1);
      expect(shape(data[0])).toEqual(shape(fixture.data[0]));
      const filtered = await get(
        `/v25.0/${SIM_DEMO_IDS.partnerBusinessId}/client_whatsapp_business_accounts?filtering=${encodeURIComponent("[{'field':'marketing_messages_onboarding_status','operator':'IN','value':['ONBOARDED']}]")}`,
        SYSTEM_TOKEN,
      );
      expect(filtered.json).toEqual({ data: [] });
    });
  });

  describe('phone numbers (fixtures/api/phone_number.*, waba.phone_numbers.*)', () => {
    it('should answer the default phone node fields like the fixture and the spec', async () => {
      const res = await get(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}`);
      expect(shape(res.json)).toEqual(shape(readFixture('api/phone_number.get.default.json')));
      expect(validate('PhoneNumberInfo', res.json)).toBeNull();
    });

    it.each([
      ['status', 'api/phone_number.get.status.json'],
      ['name_status', 'api/phone_number.get.name_status.json'],
    ])('should answer fields=%s like the fixture', async (field, fixturePath) => {
      const fixture = readFixture<Record<string, string>>(fixturePath);
      sut.updatePhoneNumber(
        SIM_DEMO_IDS.phoneNumberId,
        field === 'status' ? { status: fixture.status } : { nameStatus: fixture.name_status },
      );
      const res = await get(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}?fields=${field}`);
      expect(res.json).toEqual({ ...fixture, id: SIM_DEMO_IDS.phoneNumberId });
    });

    it('should answer health_status exactly like the AVAILABLE example for the doc sample IDs', async () => {
      await post(`/v25.0/${SIM_DEMO_IDS.wabaId}/subscribed_apps`, {});
      const res = await get(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}?fields=health_status`);
      expect(res.json).toEqual(readFixture('api/phone_number.health_status.available.json'));
    });

    it('should answer LIMITED health like the fixture while the display name is pending', async () => {
      await post(`/v25.0/${SIM_DEMO_IDS.wabaId}/subscribed_apps`, {});
      sut.updatePhoneNumber(SIM_DEMO_IDS.phoneNumberId, { nameStatus: 'PENDING_REVIEW' });
      const fixture = readFixture<{ health_status: Json }>('api/phone_number.health_status.limited.json');
      const res = await get(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}?fields=health_status`);
      expect((res.json as { health_status: Json }).health_status).toEqual(fixture.health_status);
    });

    it('should list numbers newest first with the documented default fields', async () => {
      const older = sut.createPhoneNumber({ wabaId: SIM_DEMO_IDS.wabaId, lastOnboardedTime: 1000 });
      const fixture = readFixture<{ data: Array<Record<string, Json>> }>('api/waba.phone_numbers.default_desc.json');
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}/phone_numbers`);
      const body = res.json as { data: Array<Record<string, Json>>; paging?: { next?: string } };
      expect(shape(body.data)).toEqual(shape(fixture.data));
      expect(body.data.map((item) => item.id)).toEqual([SIM_DEMO_IDS.phoneNumberId, older.id]);
      expect(body.paging?.next).toBeUndefined();
      const ascending = await get(
        `/v25.0/${SIM_DEMO_IDS.wabaId}/phone_numbers?sort=${encodeURIComponent('["last_onboarded_time_ascending"]')}`,
      );
      expect((ascending.json as { data: Array<{ id: string }> }).data.map((item) => item.id)).toEqual([
        older.id,
        SIM_DEMO_IDS.phoneNumberId,
      ]);
    });

    it('should filter numbers by account_mode like the fixture and fit the connection schema', async () => {
      const sandbox = sut.createPhoneNumber({
        wabaId: SIM_DEMO_IDS.wabaId,
        accountMode: 'SANDBOX',
        qualityRating: 'UNKNOWN',
      });
      const filter = encodeURIComponent('[{"field":"account_mode","operator":"EQUAL","value":"SANDBOX"}]');
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}/phone_numbers?filtering=${filter}`);
      const fixture = readFixture<{ data: Json[] }>('api/waba.phone_numbers.filter_account_mode_sandbox.json');
      const body = res.json as { data: Array<{ id: string }> };
      expect(shape(body.data)).toEqual(shape(fixture.data));
      expect(body.data.map((item) => item.id)).toEqual([sandbox.id]);
      const full = await get(
        `/v25.0/${SIM_DEMO_IDS.wabaId}/phone_numbers?fields=id,display_phone_number,status,verified_name,quality_rating,code_verification_status`,
      );
      expect(validate('WhatsAppBusinessAccountPhoneNumbersConnection', full.json)).toBeNull();
    });

    it('should answer register and deregister with the success body of the fixture and the spec', async () => {
      const register = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/register`, {
        messaging_product: 'whatsapp',
        pin: '123456',
      });
      expect(register.json).toEqual(readFixture('api/success_true.json'));
      expect(validate('WhatsAppBusinessPhoneNumberRegistrationResponse', register.json)).toBeNull();
      const deregister = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/deregister`, {});
      expect(validate('WhatsAppBusinessPhoneNumberRegistrationResponse', deregister.json)).toBeNull();
    });
  });

  describe('embedded signup (derived/oauth.*, api/debug_token.json)', () => {
    it('should exchange a code into the documented token body', async () => {
      const session = sut.createSignupSession();
      const res = await get(
        `/v25.0/oauth/access_token?client_id=${SIM_DEMO_IDS.appId}&client_secret=${APP_SECRET}&code=${session.code}`,
        '',
      );
      const fixture = readFixture<Record<string, Json>>('derived/oauth.access_token.success.json');
      const body = res.json as Record<string, Json>;
      expect(keys(body)).toEqual(expect.arrayContaining(keys(fixture)));
      expect(body.token_type).toBe('bearer');
      expect(typeof body.expires_in).toBe('number');
      const reused = await get(
        `/v25.0/oauth/access_token?client_id=${SIM_DEMO_IDS.appId}&client_secret=${APP_SECRET}&code=${session.code}`,
        '',
      );
      expectGraphError(reused, 400);
      expect(withoutTrace(reused.json)).toEqual(withoutTrace(readFixture('derived/oauth.access_token.code_used.json')));
    });

    it('should describe a business token like the debug_token fixture, newest WABA first', async () => {
      const second = sut.createWaba({ businessId: SIM_DEMO_IDS.businessId });
      const business = sut.issueToken({
        wabaIds: [second.id, SIM_DEMO_IDS.wabaId],
        businessId: SIM_DEMO_IDS.businessId,
      });
      const res = await get(`/v25.0/debug_token?input_token=${business}`, `${SIM_DEMO_IDS.appId}|${APP_SECRET}`);
      const fixture = readFixture<{ data: Record<string, Json> }>('api/debug_token.json');
      const data = (res.json as { data: Record<string, Json> }).data;
      expect(shape(data)).toEqual(shape(fixture.data));
      expect(data.is_valid).toBe(true);
      expect((data.granular_scopes as Array<{ target_ids: string[] }>)[0].target_ids).toEqual([
        second.id,
        SIM_DEMO_IDS.wabaId,
      ]);
    });
  });

  describe('error envelopes (fixtures/errors, fixtures/derived/error.*)', () => {
    it('should answer an expired token like derived/error.190_463 with HTTP 401 and WWW-Authenticate', async () => {
      sut.expireToken(token);
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      const error = expectGraphError(res, 401);
      const fixture = readFixture<{ error: Record<string, Json> }>('derived/error.190_463_expired_token.json');
      expect(keys(error)).toEqual(keys(fixture.error));
      expect(error.message).toMatch(
        /^Error validating access token: Session has expired on .+\. The current time is .+\.$/,
      );
      expect([error.code, error.error_subcode]).toEqual([190, 463]);
      expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    });

    it('should answer an invalidated token like derived/error.190_467', async () => {
      sut.invalidateToken(token);
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      expectGraphError(res, 401);
      expect(withoutTrace(res.json)).toEqual(withoutTrace(readFixture('derived/error.190_467_invalid_token.json')));
    });

    it.each([
      ['app_throttle', 'derived/error.4_app_rate_limit.json', 400],
      ['waba_throttle', 'derived/error.80007_waba_rate_limit.json', 400],
      ['throttle', 'derived/error.80008_buc_whatsapp_business_management.json', 400],
    ] as const)('should answer the %s fault like %s', async (kind, fixturePath, status) => {
      sut.injectFault({ path: `/${SIM_DEMO_IDS.wabaId}`, kind, times: 1 });
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      expectGraphError(res, status);
      expect(withoutTrace(res.json)).toEqual(withoutTrace(readFixture(fixturePath)));
    });

    it('should answer 80008 with the throttled BUC header once the budget is spent', async () => {
      sut.setBucCallBudget(2);
      await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      expectGraphError(res, 400);
      expect(withoutTrace(res.json)).toEqual(
        withoutTrace(readFixture('derived/error.80008_buc_whatsapp_business_management.json')),
      );
      const header = JSON.parse(res.headers.get('x-business-use-case-usage') ?? '{}') as Record<string, Json>;
      expect(shape(header[SIM_DEMO_IDS.wabaId])).toEqual(
        shape(
          readFixture<Record<string, Json>>('derived/header.x-business-use-case-usage.throttled.json')[
            SIM_DEMO_IDS.wabaId
          ],
        ),
      );
    });

    it('should answer too many ids like derived/error.100_too_many_ids', async () => {
      const ids = Array.from({ length: 54 }, (_, index) => String(100000 + index)).join(',');
      const res = await get(`/v25.0/?ids=${ids}&fields=id`);
      expectGraphError(res, 400);
      expect(withoutTrace(res.json)).toEqual(withoutTrace(readFixture('derived/error.100_too_many_ids.json')));
    });

    it('should refuse sends of a disabled WABA like derived/error.368 and of a restricted one like 131031', async () => {
      const send = {
        messaging_product: 'whatsapp',
        to: '+447700900123',
        type: 'template',
        template: { name: 'promo', language: { code: 'en_US' } },
      };
      await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'ACCOUNT_RESTRICTION', { silent: true });
      const restricted = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, send);
      expectGraphError(restricted, 403);
      expect(withoutTrace(restricted.json)).toEqual(
        withoutTrace(readFixture('derived/error.131031_account_locked.json')),
      );
      await sut.applyEvent(SIM_DEMO_IDS.wabaId, 'DISABLE', { silent: true });
      const disabled = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, send);
      expectGraphError(disabled, 403);
      expect(withoutTrace(disabled.json)).toEqual(withoutTrace(readFixture('derived/error.368_waba_restricted.json')));
    });

    it('should answer the MM send errors exactly like their fixtures', async () => {
      sut.updateWaba(SIM_DEMO_IDS.wabaId, {
        marketingMessagesOnboardingStatus: 'ONBOARDED',
        disableMarketingMessagesOnCloudApi: true,
        templates: [
          { name: 'bid_promo', optimizationSpec: { bid_strategy: 'LOWEST_COST_WITH_BID_CAP', bid_amount: 5000 } },
        ],
      });
      const template = { name: 'promo', language: { code: 'en_US' } };
      const cases: Array<[string, unknown, string]> = [
        [
          'messages',
          { messaging_product: 'whatsapp', to: '447700900123', type: 'template', template },
          'errors/cloud.messages.131063_marketing_disabled_on_cloud_api.json',
        ],
        [
          'marketing_messages',
          { messaging_product: 'whatsapp', to: '447700900123', type: 'text', text: { body: 'hi' } },
          'errors/mm.send.code100_not_a_template.json',
        ],
        [
          'marketing_messages',
          { messaging_product: 'whatsapp', type: 'template', template },
          'errors/mm.send.missing_to_and_recipient.code100.json',
        ],
        [
          'marketing_messages',
          {
            messaging_product: 'whatsapp',
            recipient: 'US.13491208655302741918',
            type: 'template',
            template: { ...template, name: 'bid_promo' },
          },
          'errors/mm.send.131062_bsuid_not_supported.json',
        ],
      ];
      for (const [edge, body, fixturePath] of cases) {
        const res = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/${edge}`, body);
        expectGraphError(res, 400);
        expect(withoutTrace(res.json)).toEqual(withoutTrace(readFixture(fixturePath)));
      }
    });

    it('should answer the throughput limit like errors/cloud.130429_rate_limit_hit.json', async () => {
      sut.updatePhoneNumber(SIM_DEMO_IDS.phoneNumberId, { throughputLevel: 'STANDARD' });
      const send = (to: string): Promise<GraphCallResult> =>
        post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, {
          messaging_product: 'whatsapp',
          to,
          type: 'text',
          text: { body: 'x' },
        });
      const results: GraphCallResult[] = [];
      for (let index = 0; index < 81; index += 1) {
        results.push(await send(`4477009${String(index).padStart(5, '0')}`));
      }
      const limited = results[80];
      expectGraphError(limited, 400);
      expect(withoutTrace(limited.json)).toEqual(withoutTrace(readFixture('errors/cloud.130429_rate_limit_hit.json')));
    });
  });

  describe('sends and MM onboarding (fixtures/api/mm.*)', () => {
    it('should answer sends by phone number and by BSUID like the fixtures and the spec', async () => {
      sut.updateWaba(SIM_DEMO_IDS.wabaId, { marketingMessagesOnboardingStatus: 'ONBOARDED' });
      const template = { name: 'seasonal_sale_promo', language: { code: 'en_US' } };
      const byPhone = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/marketing_messages`, {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+16505551234',
        type: 'template',
        template,
      });
      // 2026: `/marketing_messages` answers `message_status` with the id (graph-api-2026 §A.6).
      expect(shape(byPhone.json)).toEqual(
        shape(readFixture('2026/api/mm.marketing_messages.send.phone.accepted.response.json')),
      );
      expect((byPhone.json as { contacts: Array<{ wa_id: string }> }).contacts[0].wa_id).toBe('16505551234');
      expect(validate('MarketingMessageResponsePayload', byPhone.json)).toBeNull();
      const byBsuid = await post(
        `/v25.0/${SIM_DEMO_IDS.phoneNumberId}/marketing_messages`,
        readFixture('2026/api/mm.marketing_messages.send.request.bsuid.json'),
      );
      const bsuidFixture = readFixture<{ contacts: Json }>('api/mm.marketing_messages.send.bsuid.response.json');
      expect(shape((byBsuid.json as { contacts: Json }).contacts)).toEqual(shape(bsuidFixture.contacts));
      expect(byBsuid.json).toMatchObject({
        contacts: [{ input: 'US.13491208655302741918', user_id: 'US.13491208655302741918' }],
        messages: [{ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' }],
      });
      const cloud = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, {
        messaging_product: 'whatsapp',
        to: '447700900123',
        type: 'template',
        template,
      });
      expect(validate('MessageResponsePayload', cloud.json)).toBeNull();
    });

    it('should answer Cloud API sends by BSUID, and by phone and BSUID together, like the 2026 fixtures', async () => {
      const template = { name: 'seasonal_sale_promo', language: { code: 'en_US' } };
      const send = (recipient: Record<string, string>) =>
        post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, {
          messaging_product: 'whatsapp',
          recipient_type: 'individual',
          ...recipient,
          type: 'template',
          template,
        });

      const byBsuid = await send({ recipient: 'US.13491208655302741918' });
      expect(shape(byBsuid.json)).toEqual(shape(readFixture('2026/api/messages.send.bsuid.response.json')));
      expect(byBsuid.json).toMatchObject({ contacts: [{ user_id: 'US.13491208655302741918' }] });
      expect(validate('MessageResponsePayload', byBsuid.json)).toBeNull();
      // Both given: `to` wins, and the answer carries no `user_id`.
      const both = await send({ to: '+16505551234', recipient: 'US.13491208655302741918' });
      expect(shape(both.json)).toEqual(shape(readFixture('2026/api/messages.send.phone_and_bsuid.response.json')));
      expect(sut.sentMessages.map((message) => message.to)).toEqual(['US.13491208655302741918', '+16505551234']);
    });

    it('should refuse what a BSUID or Cloud API cannot take exactly like the 2026 derived fixtures', async () => {
      sut.updateWaba(SIM_DEMO_IDS.wabaId, {
        templates: [
          { name: 'login_code', category: 'AUTHENTICATION' },
          { name: 'capped_promo', optimizationSpec: { bid_strategy: 'LOWEST_COST_WITH_BID_CAP', bid_amount: 5000 } },
        ],
      });
      const cases: Array<[Record<string, string>, string, string]> = [
        [{ recipient: 'US.13491208655302741918' }, 'login_code', '2026/derived/error.131062_bsuid_auth_template.json'],
        [{ to: '+447700900123' }, 'capped_promo', '2026/derived/error.131061_max_price_template_on_cloud_api.json'],
      ];
      for (const [recipient, name, fixturePath] of cases) {
        const res = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, {
          messaging_product: 'whatsapp',
          ...recipient,
          type: 'template',
          template: { name, language: { code: 'en_US' } },
        });
        expectGraphError(res, 400);
        expect(withoutTrace(res.json)).toEqual(withoutTrace(readFixture(fixturePath)));
      }
      // The same authentication template still goes to a phone number.
      const byPhone = await post(`/v25.0/${SIM_DEMO_IDS.phoneNumberId}/messages`, {
        messaging_product: 'whatsapp',
        to: '+447700900123',
        type: 'template',
        template: { name: 'login_code', language: { code: 'en_US' } },
      });
      expect(byPhone.status).toBe(200);
    });

    it('should answer the Intent API like the fixture and the spec', async () => {
      const res = await post(`/v25.0/${SIM_DEMO_IDS.businessId}/onboard_partners_to_mm_lite`, {}, SYSTEM_TOKEN);
      expect(shape(res.json)).toEqual(shape(readFixture('api/mm.onboard_partners_to_mm_lite.response.json')));
      expect(validate('MMLiteOnboardingRequest', res.json)).toBeNull();
    });

    it('should answer a multi-ID read keyed by id like derived/graph.multi_id.response.json', async () => {
      const other = sut.createWaba({ marketingMessagesOnboardingStatus: 'ONBOARDED' });
      const res = await get(
        `/v25.0/?ids=${SIM_DEMO_IDS.wabaId},${other.id}&fields=marketing_messages_onboarding_status`,
        SYSTEM_TOKEN,
      );
      const fixture = readFixture<Record<string, Json>>('derived/graph.multi_id.response.json');
      const body = res.json as Record<string, Json>;
      expect(keys(body)).toEqual([SIM_DEMO_IDS.wabaId, other.id].sort());
      expect(shape(body[other.id])).toEqual(shape(Object.values(fixture)[0]));
      expect(body[other.id]).toEqual({ marketing_messages_onboarding_status: 'ONBOARDED', id: other.id });
    });

    it('should send usage headers shaped like fixtures/graph/header.*', async () => {
      const res = await get(`/v25.0/${SIM_DEMO_IDS.wabaId}`);
      const buc = JSON.parse(res.headers.get('x-business-use-case-usage') ?? '{}') as Record<string, Json[]>;
      const fixture = readFixture<Record<string, Json[]>>('graph/header.x-business-use-case-usage.whatsapp.json');
      expect(shape(buc[SIM_DEMO_IDS.wabaId][0])).toEqual(shape(fixture[SIM_DEMO_IDS.wabaId][0]));
      expect(shape(JSON.parse(res.headers.get('x-app-usage') ?? '{}'))).toEqual(
        shape(readFixture('graph/header.x-app-usage.json')),
      );
    });
  });

  describe('webhooks (fixtures/webhooks, fixtures/derived)', () => {
    const emitted = async (type: SimEventType, params: SimEventParams = {}): Promise<JsonObject> => {
      const delivery = await sut.applyEvent(SIM_DEMO_IDS.wabaId, type, params);
      expect(delivery).not.toBeNull();
      const { body, signature } = lastDelivery();
      const raw = receiver.received[receiver.received.length - 1].body;
      expect(signature).toBe(`sha256=${createHmac('sha256', APP_SECRET).update(raw).digest('hex')}`);
      return body;
    };
    const valueOf = (payload: Json): Record<string, Json> =>
      (payload as { entry: Array<{ changes: Array<{ value: Record<string, Json> }> }> }).entry[0].changes[0].value;

    it.each([
      ['DISABLE', {}, 'derived/account_update.disabled_update.disable.json'],
      ['SCHEDULE_FOR_DISABLE', {}, 'derived/account_update.disabled_update.schedule_for_disable.json'],
      ['REINSTATE', {}, 'webhooks/account_update.disabled_update.reinstate.json'],
      [
        'ACCOUNT_RESTRICTION',
        { restrictionTypes: ['RESTRICTED_BIZ_INITIATED_MESSAGING', 'RESTRICTED_ADD_PHONE_NUMBER_ACTION'] },
        'webhooks/account_update.account_restriction.json',
      ],
      ['ACCOUNT_VIOLATION', {}, 'webhooks/account_update.account_violation.json'],
      ['ACCOUNT_DELETED', {}, 'webhooks/account_update.account_deleted.json'],
      ['ACCOUNT_OFFBOARDED', {}, 'webhooks/account_update.account_offboarded.json'],
      ['ACCOUNT_RECONNECTED', {}, 'webhooks/account_update.account_reconnected.json'],
      ['MM_LITE_TERMS_SIGNED', {}, 'webhooks/account_update.mm_lite_terms_signed.json'],
      ['MM_LITE_ONBOARDED', {}, 'webhooks/account_update.ad_account_linked.json'],
      ['PARTNER_REMOVED', {}, 'webhooks/account_update.partner_removed.json'],
      [
        'PARTNER_REMOVED',
        { disconnectionReason: 'PRIMARY_INACTIVITY' },
        'webhooks/account_update.partner_removed.business_app_disconnection.json',
      ],
      ['PARTNER_APP_UNINSTALLED', {}, 'webhooks/account_update.partner_app_uninstalled.json'],
      ['NAME_APPROVED', {}, 'webhooks/phone_number_name_update.approved.json'],
      ['NAME_REJECTED', {}, 'derived/phone_number_name_update.rejected.json'],
      ['ACCOUNT_REVIEW', { decision: 'APPROVED' }, 'webhooks/account_review_update.approved.json'],
      ['ACCOUNT_REVIEW', { decision: 'REJECTED' }, 'derived/account_review_update.rejected.json'],
      ['CAPABILITY_UPDATE', { maxDailyConversationsPerBusiness: 2000 }, 'webhooks/business_capability_update.json'],
    ] as Array<[SimEventType, SimEventParams, string]>)(
      'should emit %s shaped like %s',
      async (type, params, fixturePath) => {
        const payload = await emitted(type, params);
        const fixture = readFixture<JsonObject>(fixturePath);
        expect(shape(payload)).toEqual(shape(fixture));
        const value = valueOf(payload);
        const expected = valueOf(fixture);
        for (const key of ['event', 'decision', 'rejection_reason'] as const) {
          expect(value[key]).toEqual(expected[key]);
        }
        if (expected.ban_info) {
          const ban = value.ban_info as Record<string, string>;
          expect(ban.waba_ban_state).toBe((expected.ban_info as Record<string, string>).waba_ban_state);
          expect(ban.waba_ban_date).toMatch(/^[A-Z][a-z]+ \d{1,2}, \d{4}$/);
        }
      },
    );

    it.each([
      ['PARTNER_ADDED', 'webhooks/account_update.partner_added.json'],
      ['PARTNER_APP_INSTALLED', 'webhooks/account_update.partner_app_installed.json'],
    ] as Array<[SimEventType, string]>)('should emit %s with a subset of the keys of %s', async (type, fixturePath) => {
      const payload = await emitted(type);
      const fixture = readFixture<JsonObject>(fixturePath);
      const info = valueOf(payload).waba_info as Record<string, Json>;
      const expectedInfo = valueOf(fixture).waba_info as Record<string, Json>;
      expect(Object.keys(info).every((key) => key in expectedInfo)).toBe(true);
      expect(info.waba_id).toBe(SIM_DEMO_IDS.wabaId);
      expect((payload.entry as Array<{ id: string }>)[0].id).toBe(SIM_DEMO_IDS.partnerBusinessId);
    });

    it('should emit THROUGHPUT_UPGRADE with the current replacement of current_limit', async () => {
      const payload = await emitted('THROUGHPUT_UPGRADE');
      const fixture = readFixture<JsonObject>('webhooks/phone_number_quality_update.throughput_upgrade.json');
      const value = valueOf(payload);
      expect(value.event).toBe('THROUGHPUT_UPGRADE');
      expect(value.display_phone_number).toBe('15550783881');
      expect(keys(value)).toEqual(['display_phone_number', 'event', 'max_daily_conversations_per_business']);
      expect(shape({ ...payload, entry: [] })).toEqual(shape({ ...fixture, entry: [] }));
    });
  });
});

import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';

import type { MetaConfig } from 'config/meta.config';
import { findFreePort } from 'src/common/database/embedded-postgres';
import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import type { FaultRule, SimRequestLogEntry } from 'src/meta-simulator/meta-simulator.types';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaGateway } from './meta-gateway';
import { META_MAX_RESPONSE_BYTES } from './meta-gateway.constants';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import { MetaGatewayModule } from './meta-gateway.module';

const APP_ID = '634974688087057';
const APP_SECRET = 'contract-test-app-secret-9f3c1a';
const SYSTEM_USER_TOKEN = 'EAAsystemuserContractTestToken0123456789';
const MAX_RETRIES = 2;
const TIMEOUT_MS = 300;
const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US', components: [{ type: 'body', parameters: [] }] };

async function rejection(promise: Promise<unknown>): Promise<MetaGatewayException> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MetaGatewayException);
    return error as MetaGatewayException;
  }
  throw new Error('expected the call to fail');
}

describe(GraphApiMetaGateway.name, () => {
  let simulator: MetaSimulator;
  let moduleRef: TestingModule;
  let sut: MetaGateway;
  let logged: string[];
  let meta: MetaConfig;

  /** Graph calls received by the simulator for a method and path (path without the version prefix). */
  function requestsTo(method: string, path: string): SimRequestLogEntry[] {
    return simulator.requests.filter((entry) => entry.method === method && entry.path === path);
  }

  function fault(rule: FaultRule): void {
    simulator.injectFault(rule);
  }

  function newWaba(): { wabaId: string; token: string } {
    const waba = simulator.createWaba({ name: 'Lucky Shrub' });
    const token = simulator.issueToken({ wabaIds: [waba.id], kind: 'business' });
    return { wabaId: waba.id, token };
  }

  beforeAll(async () => {
    simulator = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, systemUserToken: SYSTEM_USER_TOKEN });
    const origin = await simulator.start(0);
    meta = {
      sandbox: true,
      appId: APP_ID,
      appSecret: APP_SECRET,
      graphApiBaseUrl: origin.replace(/\/+$/, ''),
      graphApiVersion: 'v25.0',
      webhookVerifyToken: 'verify',
      systemUserToken: SYSTEM_USER_TOKEN,
      embeddedSignupConfigId: '',
      requestTimeoutMs: TIMEOUT_MS,
      maxRetries: MAX_RETRIES,
    };
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ meta })] }),
        MetaGatewayModule,
      ],
    }).compile();
    sut = moduleRef.get(MetaGateway);
  });

  afterAll(async () => {
    await moduleRef?.close();
    await simulator?.stop();
  });

  beforeEach(() => {
    simulator.clearFaults();
    simulator.clearRequests();
    logged = [];
    for (const level of ['log', 'debug', 'verbose', 'warn', 'error', 'fatal'] as const) {
      jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
      });
    }
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('should be bound to the port by MetaGatewayModule', () => {
    expect(sut).toBeInstanceOf(GraphApiMetaGateway);
  });

  describe('exchangeCode', () => {
    it('should exchange an Embedded Signup code for a usable business token', async () => {
      const session = simulator.createSignupSession();

      const exchanged = await sut.exchangeCode(session.code);

      expect(exchanged.accessToken).toEqual(expect.any(String));
      expect(exchanged.expiresInSeconds === null || exchanged.expiresInSeconds > 0).toBe(true);
      await expect(sut.getWaba(session.wabaId, exchanged.accessToken)).resolves.toMatchObject({ id: session.wabaId });
      const [exchange] = requestsTo('GET', '/oauth/access_token');
      expect(exchange.tokenKind).toBe('none');
      expect(exchange.query.client_id).toBe(APP_ID);
    });

    it('should map a used code to INVALID_REQUEST and never retry the exchange', async () => {
      const session = simulator.createSignupSession();
      await sut.exchangeCode(session.code);

      const error = await rejection(sut.exchangeCode(session.code));

      expect(error.code).toBe(MetaGatewayErrorCode.INVALID_REQUEST);
      expect(error.metaCode).toBe(100);
      expect(requestsTo('GET', '/oauth/access_token')).toHaveLength(2);
    });

    it('should not retry the exchange on a 5xx', async () => {
      const session = simulator.createSignupSession();
      fault({ path: '/oauth/access_token', kind: 'http500' });

      const error = await rejection(sut.exchangeCode(session.code));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(requestsTo('GET', '/oauth/access_token')).toHaveLength(1);
    });
  });

  describe('inspectToken', () => {
    it('should read debug_token with the app access token', async () => {
      const { wabaId, token } = newWaba();

      const inspection = await sut.inspectToken(token);

      expect(inspection).toMatchObject({ isValid: true, appId: APP_ID, grantedWabaIds: [wabaId], error: null });
      expect(inspection.scopes).toContain('whatsapp_business_management');
      const [call] = requestsTo('GET', '/debug_token');
      expect(call.tokenKind).toBe('app');
    });

    it('should report expires_at 0 as never and a real expiry as a date', async () => {
      const waba = simulator.createWaba({});
      const never = simulator.issueToken({ wabaIds: [waba.id], expiresInSeconds: null });
      const expiring = simulator.issueToken({ wabaIds: [waba.id], expiresInSeconds: 3600 });

      expect((await sut.inspectToken(never)).expiresAt).toBeNull();
      expect((await sut.inspectToken(expiring)).expiresAt).toBeInstanceOf(Date);
    });

    it('should answer isValid false (not throw) for an expired or unknown token', async () => {
      const { token } = newWaba();
      simulator.expireToken(token);

      const expired = await sut.inspectToken(token);
      const unknown = await sut.inspectToken('EAAnotATokenTheSimulatorKnows123');

      expect(expired).toMatchObject({ isValid: false, error: { code: 190, subcode: 463 } });
      expect(unknown).toMatchObject({ isValid: false, error: { code: 190 } });
    });
  });

  describe('getWaba', () => {
    it('should map the WABA fields to a snapshot', async () => {
      const { wabaId, token } = newWaba();

      const waba = await sut.getWaba(wabaId, token);

      expect(waba).toMatchObject({ id: wabaId, name: 'Lucky Shrub', status: 'ACTIVE' });
      expect(waba.currency).toEqual(expect.any(String));
      expect(waba.marketingMessagesOnboardingStatus).toEqual(expect.any(String));
      expect(waba.ownerBusinessId).toEqual(expect.any(String));
      expect(waba.healthStatus?.canSendMessage).toEqual(expect.any(String));
      const [call] = requestsTo('GET', `/${wabaId}`);
      expect(call.tokenKind).toBe('business');
      expect(call.query.access_token).toBeUndefined();
      expect(call.query.fields?.split(',')).toEqual(
        expect.arrayContaining(['owner_business_info', 'marketing_messages_onboarding_status', 'health_status']),
      );
    });

    it('should map an unknown WABA to NOT_FOUND', async () => {
      const { token } = newWaba();

      const error = await rejection(sut.getWaba('999999999999', token));

      expect(error.code).toBe(MetaGatewayErrorCode.NOT_FOUND);
      expect(error.metaCode).toBe(100);
      expect(error.metaSubcode).toBe(33);
    });

    it.each<[FaultRule['kind'], MetaGatewayErrorCode]>([
      ['http500', MetaGatewayErrorCode.TRANSIENT],
      ['http503', MetaGatewayErrorCode.TRANSIENT],
      ['transient', MetaGatewayErrorCode.TRANSIENT],
      ['malformed', MetaGatewayErrorCode.TRANSIENT],
    ])('should retry a GET failing with %s up to maxRetries, then throw %s', async (kind, expected) => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(expected);
      expect(requestsTo('GET', `/${wabaId}`)).toHaveLength(MAX_RETRIES + 1);
    });

    it('should succeed when a transient failure clears within the retries', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'http503', times: MAX_RETRIES });

      await expect(sut.getWaba(wabaId, token)).resolves.toMatchObject({ id: wabaId });
      expect(requestsTo('GET', `/${wabaId}`)).toHaveLength(MAX_RETRIES + 1);
    });

    it.each<[string, FaultRule, MetaGatewayErrorCode, number | null]>([
      ['expired token', { path: '', kind: 'expired_token' }, MetaGatewayErrorCode.AUTH_INVALID, 190],
      ['invalid token', { path: '', kind: 'invalid_token' }, MetaGatewayErrorCode.AUTH_INVALID, 190],
      [
        'permission (10)',
        { path: '', kind: 'meta_error', error: { code: 10, httpStatus: 403, message: '(#10) Permission denied' } },
        MetaGatewayErrorCode.PERMISSION_DENIED,
        10,
      ],
      [
        'permission (200)',
        { path: '', kind: 'meta_error', error: { code: 200, httpStatus: 403, message: '(#200) Permissions error' } },
        MetaGatewayErrorCode.PERMISSION_DENIED,
        200,
      ],
      [
        'restricted (368)',
        { path: '', kind: 'meta_error', error: { code: 368, httpStatus: 403, message: '(#368) Blocked' } },
        MetaGatewayErrorCode.ACCOUNT_RESTRICTED,
        368,
      ],
      [
        'invalid parameter (100)',
        { path: '', kind: 'meta_error', error: { code: 100, httpStatus: 400, message: '(#100) Invalid parameter' } },
        MetaGatewayErrorCode.INVALID_REQUEST,
        100,
      ],
      [
        'an unknown code',
        { path: '', kind: 'meta_error', error: { code: 987654, httpStatus: 400, message: 'Something new' } },
        MetaGatewayErrorCode.UNKNOWN,
        987654,
      ],
    ])('should not retry a GET failing with %s', async (_label, rule, expected, metaCode) => {
      const { wabaId, token } = newWaba();
      fault({ ...rule, path: `/${wabaId}` });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(expected);
      expect(error.metaCode).toBe(metaCode);
      expect(requestsTo('GET', `/${wabaId}`)).toHaveLength(1);
    });

    it('should abandon a hung GET at the configured timeout and retry it', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'hang' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(error.httpStatus).toBeNull();
      expect(requestsTo('GET', `/${wabaId}`)).toHaveLength(MAX_RETRIES + 1);
    });
  });

  describe('rate limiting', () => {
    it('should surface a BUC throttle (80008) with minutes to wait as RATE_LIMITED without retrying, and pause the WABA', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'throttle', regainMinutes: 7 });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(error.metaCode).toBe(80008);
      expect(error.retryAfterSeconds).toBe(7 * 60);
      expect(requestsTo('GET', `/${wabaId}`)).toHaveLength(1);
      const until = sut.throttledUntil(wabaId);
      expect(until).toBeInstanceOf(Date);
      expect(until!.getTime()).toBeGreaterThan(Date.now() + 6 * 60_000);
    });

    it('should pause the WABA after a WABA rate limit (80007)', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'waba_throttle' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(error.metaCode).toBe(80007);
      expect(sut.throttledUntil(wabaId)).toBeInstanceOf(Date);
    });

    it('should map the app limit (4) to RATE_LIMITED and pause the app', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'app_throttle' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.RATE_LIMITED);
      expect(error.metaCode).toBe(4);
      // X-App-Usage at 100 % and code 4 pause the whole app, so every object reads as throttled.
      expect(sut.throttledUntil('any-business-object')).toBeInstanceOf(Date);
    });

    it('should pause a WABA once X-Business-Use-Case-Usage reaches 90 % on successful calls', async () => {
      const budgeted = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, bucCallBudget: 10 });
      const { gateway, close } = await gatewayFor(await budgeted.start(0));
      try {
        const waba = budgeted.createWaba({});
        const token = budgeted.issueToken({ wabaIds: [waba.id] });
        for (let call = 1; call <= 8; call += 1) {
          await gateway.getWaba(waba.id, token);
        }
        expect(gateway.throttledUntil(waba.id)).toBeNull();

        await gateway.getWaba(waba.id, token);

        expect(gateway.throttledUntil(waba.id)).toBeInstanceOf(Date);
        expect(gateway.throttledUntil('some-other-waba')).toBeNull();
      } finally {
        await close();
        await budgeted.stop();
      }
    });
  });

  describe('listPhoneNumbers', () => {
    it('should follow paging.next until it is absent and return every number once', async () => {
      const { wabaId, token } = newWaba();
      const created = new Set<string>();
      for (let index = 0; index < 230; index += 1) {
        created.add(simulator.createPhoneNumber({ wabaId }).id);
      }

      const numbers = await sut.listPhoneNumbers(wabaId, token);

      expect(numbers).toHaveLength(230);
      expect(new Set(numbers.map((number) => number.id))).toEqual(created);
      const pages = requestsTo('GET', `/${wabaId}/phone_numbers`);
      expect(pages).toHaveLength(3);
      expect(pages.every((page) => page.tokenKind === 'business' && page.query.access_token === undefined)).toBe(true);
      // Each page is asked for explicitly, the later ones by the cursor of the one before.
      expect(pages.map((page) => page.query.limit)).toEqual(['100', '100', '100']);
      expect(pages.map((page) => page.query.after === undefined)).toEqual([true, false, false]);
    });

    it('should refuse a 200,000-number answer that ignored the page size, once, as UNKNOWN', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}/phone_numbers`, kind: 'oversized' });
      // Building 12 MB takes the simulator longer than the short timeout the other tests use.
      const { gateway, close } = await gatewayFor(simulator.url, 10_000);

      const error = await rejection(gateway.listPhoneNumbers(wabaId, token)).finally(close);

      expect(error.code).toBe(MetaGatewayErrorCode.UNKNOWN);
      expect(error.details.responseTooLarge).toBe(true);
      expect(error.message).toBe(`Graph API answer exceeded ${META_MAX_RESPONSE_BYTES} bytes; refused unread`);
      expect(requestsTo('GET', `/${wabaId}/phone_numbers`)).toHaveLength(1);
      const warnings = logged.filter((line) => line.includes('failed:'));
      expect(warnings).toEqual([
        `GET /v25.0/${wabaId}/phone_numbers failed: code=UNKNOWN metaCode=- fbtraceId=- attempt=1/${MAX_RETRIES + 1} ` +
          `answer over ${META_MAX_RESPONSE_BYTES} bytes refused`,
      ]);
      expect(logged.join('\n')).not.toContain(token);
    });

    it('should handle an empty list without paging', async () => {
      const { wabaId, token } = newWaba();

      await expect(sut.listPhoneNumbers(wabaId, token)).resolves.toEqual([]);
      expect(requestsTo('GET', `/${wabaId}/phone_numbers`)).toHaveLength(1);
    });

    it('should map the phone number fields', async () => {
      const { wabaId, token } = newWaba();
      simulator.createPhoneNumber({ wabaId, qualityRating: 'UNKNOWN' });

      const [number] = await sut.listPhoneNumbers(wabaId, token);

      expect(number).toMatchObject({ qualityRating: 'UNKNOWN' });
      expect(number.displayPhoneNumber).toEqual(expect.any(String));
      expect(number.status).toEqual(expect.any(String));
      expect(number.throughputLevel).toEqual(expect.any(String));
    });
  });

  describe('getPhoneNumber', () => {
    it('should read one number with its fields', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId, qualityRating: 'NA' });

      const number = await sut.getPhoneNumber(phone.id, token);

      expect(number).toMatchObject({ id: phone.id, qualityRating: 'NA' });
      expect(number.codeVerificationStatus).toEqual(expect.any(String));
      expect(number.platformType).toEqual(expect.any(String));
    });
  });

  describe('multi-ID reads', () => {
    it('should read 120 WABAs in 3 calls of at most 50 IDs', async () => {
      const ids = Array.from({ length: 120 }, () => simulator.createWaba({}).id);

      const result = await sut.getWabas(ids, SYSTEM_USER_TOKEN);

      expect(result.found.size).toBe(120);
      expect(result.failed.size).toBe(0);
      expect(result.calls).toBe(3);
      const calls = requestsTo('GET', '/');
      expect(calls.map((call) => call.query.ids.split(',').length)).toEqual([50, 50, 20]);
      expect(result.found.get(ids[0])).toMatchObject({ id: ids[0], status: 'ACTIVE' });
    });

    it('should fail only the chunk that Meta rejects', async () => {
      const ids = Array.from({ length: 120 }, () => simulator.createWaba({}).id);
      ids[60] = '999000111222';

      const result = await sut.getWabas(ids, SYSTEM_USER_TOKEN);

      expect(result.found.size).toBe(70);
      expect(result.failed.size).toBe(50);
      expect(result.calls).toBe(3);
      expect(result.failed.get(ids[60])).toMatchObject({ code: MetaGatewayErrorCode.NOT_FOUND });
      expect(result.failed.has(ids[50])).toBe(true);
      expect(result.found.has(ids[100])).toBe(true);
    });

    it('should count retries in calls and fail a chunk that stays broken', async () => {
      const ids = Array.from({ length: 3 }, () => simulator.createWaba({}).id);
      fault({ method: 'GET', path: '/', kind: 'http500' });

      const result = await sut.getWabas(ids, SYSTEM_USER_TOKEN);

      expect(result.found.size).toBe(0);
      expect(result.failed.size).toBe(3);
      expect(result.calls).toBe(MAX_RETRIES + 1);
    });

    it('should read phone numbers by ID', async () => {
      const { wabaId } = newWaba();
      const phones = [simulator.createPhoneNumber({ wabaId }).id, simulator.createPhoneNumber({ wabaId }).id];

      const result = await sut.getPhoneNumbers(phones, SYSTEM_USER_TOKEN);

      expect([...result.found.keys()].sort()).toEqual([...phones].sort());
      expect(result.calls).toBe(1);
    });
  });

  describe('writes', () => {
    it('should subscribe the app to the WABA', async () => {
      const { wabaId, token } = newWaba();

      await sut.subscribeApp(wabaId, token);

      expect(requestsTo('POST', `/${wabaId}/subscribed_apps`)).toHaveLength(1);
    });

    it('should register a number with messaging_product and the PIN', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      await sut.registerPhoneNumber(phone.id, '123456', token);

      const [call] = requestsTo('POST', `/${phone.id}/register`);
      expect(call.body).toMatchObject({ messaging_product: 'whatsapp' });
    });

    it.each<[string, FaultRule['kind']]>([
      ['a 5xx', 'http500'],
      ['a transient error', 'transient'],
      ['a BUC throttle', 'throttle'],
    ])('should send a POST exactly once when it fails with %s', async (_label, kind) => {
      const { wabaId, token } = newWaba();
      fault({ method: 'POST', path: `/${wabaId}/subscribed_apps`, kind });

      const error = await rejection(sut.subscribeApp(wabaId, token));

      expect([MetaGatewayErrorCode.TRANSIENT, MetaGatewayErrorCode.RATE_LIMITED]).toContain(error.code);
      expect(requestsTo('POST', `/${wabaId}/subscribed_apps`)).toHaveLength(1);
    });

    it('should abandon a hung POST at the configured timeout and send it exactly once', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({ method: 'POST', path: `/${phone.id}/register`, kind: 'hang' });

      const error = await rejection(sut.registerPhoneNumber(phone.id, '123456', token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(requestsTo('POST', `/${phone.id}/register`)).toHaveLength(1);
    });
  });

  describe('sends', () => {
    it('should send a template through /messages with the documented body', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      const sent = await sut.sendTemplateMessage(phone.id, '+16505551234', TEMPLATE, token);

      expect(sent.messageId).toMatch(/^wamid\./);
      const [call] = requestsTo('POST', `/${phone.id}/messages`);
      expect(call.body).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '+16505551234',
        type: 'template',
        template: { name: TEMPLATE.name, language: { code: 'en_US' }, components: TEMPLATE.components },
      });
    });

    it('should send a template through /marketing_messages', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });

      const sent = await sut.sendMarketingMessage(phone.id, '+447700900123', TEMPLATE, token);

      expect(sent.messageId).toMatch(/^wamid\./);
      expect(requestsTo('POST', `/${phone.id}/marketing_messages`)).toHaveLength(1);
    });

    it.each<[number, MetaGatewayErrorCode]>([
      [130429, MetaGatewayErrorCode.RATE_LIMITED],
      [131056, MetaGatewayErrorCode.RATE_LIMITED],
      [131031, MetaGatewayErrorCode.ACCOUNT_RESTRICTED],
      [131063, MetaGatewayErrorCode.INVALID_REQUEST],
      [131000, MetaGatewayErrorCode.TRANSIENT],
    ])('should map send error %s to %s and never resend', async (code, expected) => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({
        method: 'POST',
        path: `/${phone.id}/messages`,
        kind: 'meta_error',
        error: { code, httpStatus: 400, message: `(#${code}) error`, details: 'details' },
      });

      const error = await rejection(sut.sendTemplateMessage(phone.id, '+16505551234', TEMPLATE, token));

      expect(error.code).toBe(expected);
      expect(error.metaDetails).toBe('details');
      expect(requestsTo('POST', `/${phone.id}/messages`)).toHaveLength(1);
    });
  });

  describe('sends whose answer is lost', () => {
    it.each<[string, FaultRule['kind']]>([
      ['Meta accepted it, then never answered (timeout)', 'accept_then_hang'],
      ['Meta accepted it, then the connection was reset', 'accept_then_reset'],
      ['Meta accepted it, then answered 200 with an unreadable body', 'accept_then_malformed'],
      ['the answer never came, whatever Meta did', 'hang'],
      ['a 200 that is not Graph JSON came back', 'malformed'],
    ])('should throw OUTCOME_UNKNOWN, once, when %s', async (_label, kind) => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({ method: 'POST', path: `/${phone.id}/marketing_messages`, kind });

      const error = await rejection(sut.sendMarketingMessage(phone.id, '+447700900123', TEMPLATE, token));

      expect(error.code).toBe(MetaGatewayErrorCode.OUTCOME_UNKNOWN);
      expect(requestsTo('POST', `/${phone.id}/marketing_messages`)).toHaveLength(1);
    });

    it('should throw TRANSIENT, not OUTCOME_UNKNOWN, when Meta answers a transient Graph error', async () => {
      const { wabaId, token } = newWaba();
      const phone = simulator.createPhoneNumber({ wabaId });
      fault({ method: 'POST', path: `/${phone.id}/messages`, kind: 'http503' });

      const error = await rejection(sut.sendTemplateMessage(phone.id, '+447700900123', TEMPLATE, token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      expect(requestsTo('POST', `/${phone.id}/messages`)).toHaveLength(1);
    });

    it('should throw TRANSIENT when the connection is refused, since nothing reached Meta', async () => {
      const closedPort = await findFreePort();
      const refused = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot({
            isGlobal: true,
            ignoreEnvFile: true,
            load: [() => ({ meta: { ...meta, graphApiBaseUrl: `http://127.0.0.1:${closedPort}` } })],
          }),
          MetaGatewayModule,
        ],
      }).compile();
      try {
        const error = await rejection(
          refused.get(MetaGateway).sendTemplateMessage('1234567890', '+447700900123', TEMPLATE, 'token'),
        );

        expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
      } finally {
        await refused.close();
      }
    });

    it('should keep TRANSIENT for a read that times out: only sends can have taken effect', async () => {
      const { wabaId, token } = newWaba();
      fault({ method: 'GET', path: `/${wabaId}`, kind: 'accept_then_hang' });

      const error = await rejection(sut.getWaba(wabaId, token));

      expect(error.code).toBe(MetaGatewayErrorCode.TRANSIENT);
    });
  });

  describe('getBusinessTermsStatus', () => {
    it('should read the portfolio terms status, or null when Meta has none', async () => {
      const waba = simulator.createWaba({});
      const token = simulator.issueToken({ wabaIds: [waba.id], businessId: waba.businessId });

      const none = await sut.getBusinessTermsStatus(waba.businessId, token);
      simulator.setBusinessTermsStatus(waba.businessId, 'TERM_OF_SERVICE_SIGNED');
      const signed = await sut.getBusinessTermsStatus(waba.businessId, token);

      expect(none).toBeNull();
      expect(signed).toMatchObject({ status: 'TERM_OF_SERVICE_SIGNED', time: expect.any(String) });
    });
  });

  describe('logging', () => {
    it('should never log a token, the app secret, a code or a PIN', async () => {
      const session = simulator.createSignupSession();
      const { accessToken } = await sut.exchangeCode(session.code);
      await sut.inspectToken(accessToken);
      await sut.getWaba(session.wabaId, accessToken);
      await sut.listPhoneNumbers(session.wabaId, accessToken);
      await sut.registerPhoneNumber(session.phoneNumberId, '654321', accessToken);
      fault({ path: `/${session.wabaId}`, kind: 'expired_token' });
      await rejection(sut.getWaba(session.wabaId, accessToken));
      await rejection(sut.exchangeCode(session.code));

      const output = logged.join('\n');
      expect(logged.length).toBeGreaterThan(0);
      for (const secret of [accessToken, APP_SECRET, session.code, '654321', SYSTEM_USER_TOKEN]) {
        expect(output).not.toContain(secret);
      }
      expect(output).not.toMatch(/\?/);
    });

    it('should log one debug line per call and one warn per mapped failure with code, metaCode and fbtraceId', async () => {
      const { wabaId, token } = newWaba();
      fault({ path: `/${wabaId}`, kind: 'expired_token' });

      const error = await rejection(sut.getWaba(wabaId, token));

      const warnings = logged.filter((line) => line.includes('failed:'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('code=AUTH_INVALID');
      expect(warnings[0]).toContain('metaCode=190');
      expect(warnings[0]).toContain(`fbtraceId=${error.fbtraceId}`);
      expect(logged.filter((line) => line.startsWith(`GET /v25.0/${wabaId} `))).toHaveLength(2);
    });
  });

  async function gatewayFor(
    origin: string,
    requestTimeoutMs = TIMEOUT_MS,
  ): Promise<{ gateway: MetaGateway; close: () => Promise<void> }> {
    const meta: MetaConfig = {
      sandbox: true,
      appId: APP_ID,
      appSecret: APP_SECRET,
      graphApiBaseUrl: origin.replace(/\/+$/, ''),
      graphApiVersion: 'v25.0',
      webhookVerifyToken: 'verify',
      systemUserToken: '',
      embeddedSignupConfigId: '',
      requestTimeoutMs,
      maxRetries: MAX_RETRIES,
    };
    const ref = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => ({ meta })] }),
        MetaGatewayModule,
      ],
    }).compile();
    return { gateway: ref.get(MetaGateway), close: () => ref.close() };
  }
});

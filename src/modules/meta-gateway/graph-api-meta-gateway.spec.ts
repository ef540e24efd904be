import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import type { FaultRule } from 'src/meta-simulator/meta-simulator.types';
import {
  APP_ID,
  gatewayFor,
  MAX_RETRIES,
  rejection,
  useSimulatedGateway,
  SYSTEM_USER_TOKEN,
} from 'test/utils/meta-gateway-harness';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import type { MetaGateway } from './meta-gateway';
import { META_MAX_RESPONSE_BYTES } from './meta-gateway.constants';
import { MetaGatewayErrorCode } from './meta-gateway.exception';

// Reads. Throttling: graph-api-meta-gateway.throttling.spec.ts; writes, sends and logging: …writes.spec.ts.
describe(GraphApiMetaGateway.name, () => {
  let simulator: MetaSimulator;
  let sut: MetaGateway;
  let logged: string[];

  const { requestsTo, fault, newWaba } = useSimulatedGateway(
    (started) => {
      ({ simulator, sut } = started);
    },
    (lines) => {
      logged = lines;
    },
  );

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
});

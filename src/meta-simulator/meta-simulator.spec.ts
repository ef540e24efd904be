import { createHmac } from 'node:crypto';

import { MetaSimulator } from './meta-simulator';
import { graphCall, startWebhookReceiver, type GraphCallResult, type WebhookReceiver } from './meta-simulator.testing';

const APP_ID = '111222333444555';
const APP_SECRET = 'unit-secret';
const SYSTEM_TOKEN = 'SYSTEM_USER_TOKEN_UNIT';
const APP_TOKEN = `${APP_ID}|${APP_SECRET}`;

interface GraphErrorBody {
  error: { message: string; type: string; code: number; error_subcode?: number; fbtrace_id: string };
}

function errorOf(res: GraphCallResult): GraphErrorBody['error'] {
  return (res.json as GraphErrorBody).error;
}

describe(MetaSimulator.name, () => {
  let sut: MetaSimulator;
  let base: string;
  let nowMs: number;
  let receiver: WebhookReceiver;

  const get = (path: string, token?: string): Promise<GraphCallResult> => graphCall(base, 'GET', path, { token });
  const post = (path: string, body: unknown, token?: string): Promise<GraphCallResult> =>
    graphCall(base, 'POST', path, { token, body });
  const exchange = (code: string, secret = APP_SECRET): Promise<GraphCallResult> =>
    get(`/v25.0/oauth/access_token?client_id=${APP_ID}&client_secret=${secret}&code=${encodeURIComponent(code)}`);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sut = new MetaSimulator({
      appId: APP_ID,
      appSecret: APP_SECRET,
      systemUserToken: SYSTEM_TOKEN,
      codeTtlSeconds: 30,
      now: () => new Date(nowMs),
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
    sut.setWebhookUrl(null);
    receiver.received.length = 0;
    receiver.status = 200;
    nowMs = Date.parse('2026-03-01T12:00:00Z');
  });

  describe('embedded signup codes', () => {
    it('should exchange a code once and refuse it the second time', async () => {
      const session = sut.createSignupSession({ wabaName: 'Acme' });
      const first = await exchange(session.code);
      expect(first.status).toBe(200);
      const token = (first.json as { access_token: string }).access_token;
      const waba = await get(`/v25.0/${session.wabaId}?fields=name`, token);
      expect(waba.json).toEqual({ name: 'Acme', id: session.wabaId });
      const second = await exchange(session.code);
      expect(second.status).toBe(400);
      expect(errorOf(second)).toMatchObject({ code: 100, message: 'This authorization code has been used.' });
    });

    it('should refuse a code older than its TTL', async () => {
      const session = sut.createSignupSession();
      nowMs += 31_000;
      const res = await exchange(session.code);
      expect(errorOf(res)).toMatchObject({ code: 100, message: 'This authorization code has expired.' });
    });

    it('should refuse a wrong client secret with code 1', async () => {
      const session = sut.createSignupSession();
      expect(errorOf(await exchange(session.code, 'wrong'))).toMatchObject({ code: 1 });
    });

    it('should grant the token the new WABA, and a new number of an existing WABA', async () => {
      const first = sut.createSignupSession();
      const again = sut.createSignupSession({ existingWabaId: first.wabaId, displayPhoneNumber: '+1 555-000-9999' });
      expect(again.wabaId).toBe(first.wabaId);
      expect(again.phoneNumberId).not.toBe(first.phoneNumberId);
      const token = ((await exchange(again.code)).json as { access_token: string }).access_token;
      const debug = await get(`/v25.0/debug_token?input_token=${token}`, APP_TOKEN);
      const data = (debug.json as { data: { granular_scopes: Array<{ target_ids: string[] }> } }).data;
      expect(data.granular_scopes[0].target_ids).toEqual([first.wabaId]);
      const phone = await get(`/v25.0/${again.phoneNumberId}?fields=status,platform_type,display_phone_number`, token);
      expect(phone.json).toMatchObject({
        status: 'PENDING',
        platform_type: 'NOT_APPLICABLE',
        display_phone_number: '+1 555-000-9999',
      });
    });
  });

  describe('tokens', () => {
    it('should answer 190/463 with WWW-Authenticate after expiry and report it in debug_token', async () => {
      const waba = sut.createWaba();
      const token = sut.issueToken({ wabaIds: [waba.id], expiresInSeconds: 60 });
      expect((await get(`/v25.0/${waba.id}`, token)).status).toBe(200);
      nowMs += 61_000;
      const res = await get(`/v25.0/${waba.id}`, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^OAuth "Facebook Platform" "invalid_token"/);
      expect(errorOf(res)).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });
      const debug = await get(`/v25.0/debug_token?input_token=${token}`, APP_TOKEN);
      expect(debug.status).toBe(200);
      expect((debug.json as { data: { is_valid: boolean; error: { subcode: number } } }).data).toMatchObject({
        is_valid: false,
        error: { code: 190, subcode: 463 },
      });
    });

    it('should answer 190/467 for an invalidated token and is_valid false for an unknown one', async () => {
      const waba = sut.createWaba();
      const token = sut.issueToken({ wabaIds: [waba.id] });
      sut.invalidateToken(token);
      expect(errorOf(await get(`/v25.0/${waba.id}`, token))).toMatchObject({ code: 190, error_subcode: 467 });
      const debug = await get('/v25.0/debug_token?input_token=EAAgarbage', SYSTEM_TOKEN);
      expect((debug.json as { data: { is_valid: boolean } }).data.is_valid).toBe(false);
    });

    it('should hide WABAs a business token was not granted behind 100/33, and show everything to the system user', async () => {
      const mine = sut.createWaba();
      const other = sut.createWaba();
      const token = sut.issueToken({ wabaIds: [mine.id] });
      const denied = await get(`/v25.0/${other.id}`, token);
      expect(denied.status).toBe(400);
      expect(errorOf(denied)).toMatchObject({ code: 100, error_subcode: 33 });
      expect((await get(`/v25.0/${other.id}`, SYSTEM_TOKEN)).status).toBe(200);
      expect(errorOf(await get(`/v25.0/${other.id}`))).toMatchObject({ code: 104 });
    });

    it('should accept access_token as a query parameter and redact it in the request log', async () => {
      const waba = sut.createWaba();
      const token = sut.issueToken({ wabaIds: [waba.id] });
      expect((await get(`/${waba.id}?access_token=${token}`)).status).toBe(200);
      const entry = sut.requests[sut.requests.length - 1];
      expect(entry).toMatchObject({
        method: 'GET',
        path: `/${waba.id}`,
        version: null,
        tokenKind: 'business',
        status: 200,
      });
      expect(entry.tokenId).toBe(sut.tokenId(token));
      expect(JSON.stringify(entry)).not.toContain(token);
    });
  });

  describe('paging', () => {
    it('should return every number exactly once across pages and omit next on the last page', async () => {
      const waba = sut.createWaba();
      const created = Array.from({ length: 7 }, (_, index) =>
        sut.createPhoneNumber({ wabaId: waba.id, lastOnboardedTime: 1000 + index }),
      );
      const token = sut.issueToken({ wabaIds: [waba.id] });
      const seen: string[] = [];
      let url: string | undefined = `${base}/v25.0/${waba.id}/phone_numbers?limit=3`;
      let pages = 0;
      while (url) {
        const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
        const body = (await res.json()) as {
          data: Array<{ id: string }>;
          paging?: { next?: string; cursors: { after: string } };
        };
        seen.push(...body.data.map((item) => item.id));
        pages += 1;
        url = body.paging?.next;
        if (!url) {
          expect(body.paging?.cursors.after).toBeDefined();
        }
      }
      expect(pages).toBe(3);
      expect(seen).toEqual(created.map((phone) => phone.id).reverse());
    });

    it('should go back with the before cursor and answer an empty list without paging', async () => {
      const waba = sut.createWaba();
      const empty = sut.createWaba();
      for (let index = 0; index < 4; index += 1) {
        sut.createPhoneNumber({ wabaId: waba.id, lastOnboardedTime: index });
      }
      const page2 = await get(
        `/v25.0/${waba.id}/phone_numbers?limit=2&after=${encodeURIComponent(
          (
            (await get(`/v25.0/${waba.id}/phone_numbers?limit=2`, SYSTEM_TOKEN)).json as {
              paging: { cursors: { after: string } };
            }
          ).paging.cursors.after,
        )}`,
        SYSTEM_TOKEN,
      );
      const body2 = page2.json as {
        data: Array<{ id: string }>;
        paging: { previous: string; cursors: { before: string } };
      };
      expect(body2.data).toHaveLength(2);
      expect(body2.paging.previous).toContain('before=');
      const back = await get(
        `/v25.0/${waba.id}/phone_numbers?limit=2&before=${body2.paging.cursors.before}`,
        SYSTEM_TOKEN,
      );
      expect((back.json as { data: unknown[]; paging: { previous?: string } }).paging.previous).toBeUndefined();
      expect((await get(`/v25.0/${empty.id}/phone_numbers`, SYSTEM_TOKEN)).json).toEqual({ data: [] });
      expect(errorOf(await get(`/v25.0/${waba.id}/phone_numbers?after=garbage`, SYSTEM_TOKEN)).code).toBe(100);
    });

    it('should page the partner client WABA list for the system user', async () => {
      for (let index = 0; index < 5; index += 1) {
        sut.createWaba();
      }
      const first = await get('/v25.0/2949482758682047/client_whatsapp_business_accounts?limit=3', SYSTEM_TOKEN);
      const body = first.json as { data: unknown[]; paging: { next: string } };
      expect(body.data).toHaveLength(3);
      const second = await fetch(body.paging.next, { headers: { Authorization: `Bearer ${SYSTEM_TOKEN}` } });
      const body2 = (await second.json()) as { data: unknown[]; paging: { next?: string } };
      expect(body2.data).toHaveLength(2);
      expect(body2.paging.next).toBeUndefined();
    });

    it('should expand phone_numbers inside a WABA read', async () => {
      const waba = sut.createWaba({ name: 'Nested' });
      const phone = sut.createPhoneNumber({ wabaId: waba.id, qualityRating: 'YELLOW' });
      const res = await get(
        `/v25.0/${waba.id}?fields=name,phone_numbers.limit(5){display_phone_number,quality_rating}`,
        SYSTEM_TOKEN,
      );
      expect(res.json).toMatchObject({
        name: 'Nested',
        phone_numbers: {
          data: [{ display_phone_number: phone.displayPhoneNumber, quality_rating: 'YELLOW', id: phone.id }],
        },
      });
      expect(errorOf(await get(`/v25.0/${waba.id}?fields=nope`, SYSTEM_TOKEN)).message).toBe(
        '(#100) Tried accessing nonexisting field (nope) on node type (WhatsAppBusinessAccount)',
      );
    });
  });

  describe('multi-ID reads', () => {
    it('should read up to 50 ids keyed by id and refuse 51', async () => {
      const ids = Array.from({ length: 51 }, () => sut.createWaba().id);
      const ok = await get(
        `/v25.0/?ids=${ids.slice(0, 50).join(',')}&fields=marketing_messages_onboarding_status`,
        SYSTEM_TOKEN,
      );
      expect(Object.keys(ok.json as object).sort()).toEqual(ids.slice(0, 50).sort());
      expect(sut.requests[sut.requests.length - 1].ids).toHaveLength(50);
      const tooMany = await get(`/v25.0/?ids=${ids.join(',')}`, SYSTEM_TOKEN);
      expect(errorOf(tooMany).message).toBe('(#100) Too many IDs. Maximum: 50. Provided: 51.');
    });

    it('should fail the whole request when one id is unknown or not granted', async () => {
      const mine = sut.createWaba();
      const other = sut.createWaba();
      const token = sut.issueToken({ wabaIds: [mine.id] });
      expect(errorOf(await get(`/v25.0/?ids=${mine.id},999&fields=id`, token))).toMatchObject({
        code: 100,
        error_subcode: 33,
      });
      expect(errorOf(await get(`/v25.0/?ids=${mine.id},${other.id}`, token))).toMatchObject({
        code: 100,
        error_subcode: 33,
      });
      expect((await get(`/v25.0/?ids=${mine.id},${other.id}`, SYSTEM_TOKEN)).status).toBe(200);
    });
  });

  describe('rate limits', () => {
    it('should count BUC calls per WABA and answer 80008 with the regain time once over budget', async () => {
      sut.setBucCallBudget(3);
      const waba = sut.createWaba();
      const other = sut.createWaba();
      const usage = async (
        id: string,
      ): Promise<{ status: number; header: Record<string, Array<Record<string, number>>> }> => {
        const res = await get(`/v25.0/${id}`, SYSTEM_TOKEN);
        return { status: res.status, header: JSON.parse(res.headers.get('x-business-use-case-usage') ?? '{}') };
      };
      const counts: number[] = [];
      for (let index = 0; index < 3; index += 1) {
        counts.push((await usage(waba.id)).header[waba.id][0].call_count);
      }
      expect(counts).toEqual([33, 66, 100]);
      const throttled = await usage(waba.id);
      expect(throttled.status).toBe(400);
      expect(throttled.header[waba.id][0].estimated_time_to_regain_access).toBeGreaterThan(0);
      expect((await usage(other.id)).status).toBe(200);
      nowMs += 60 * 60 * 1000;
      expect((await usage(waba.id)).status).toBe(200);
    });

    it('should answer 133016 on the 11th register/deregister within 72 hours and check the PIN', async () => {
      const waba = sut.createWaba();
      const phone = sut.createPhoneNumber({ wabaId: waba.id, status: 'PENDING' });
      const register = (pin: string): Promise<GraphCallResult> =>
        post(`/v25.0/${phone.id}/register`, { messaging_product: 'whatsapp', pin }, SYSTEM_TOKEN);
      expect(errorOf(await register('12345')).code).toBe(100);
      expect((await register('654321')).status).toBe(200);
      expect(sut.getPhoneNumber(phone.id)).toMatchObject({
        status: 'CONNECTED',
        platformType: 'CLOUD_API',
        pin: '654321',
      });
      expect(errorOf(await register('111111')).code).toBe(133005);
      for (let index = 0; index < 8; index += 1) {
        await register('654321');
      }
      expect(errorOf(await register('654321')).code).toBe(133016);
      expect(
        sut.requests
          .filter((entry) => entry.path.endsWith('/register'))
          .every((entry) => /^\d{5,6}$/.test(String((entry.body as { pin: string }).pin))),
      ).toBe(true);
      nowMs += 72 * 3600 * 1000;
      expect((await register('654321')).status).toBe(200);
    });

    it('should answer 131056 when one recipient gets too many messages in a short time', async () => {
      const waba = sut.createWaba();
      const phone = sut.createPhoneNumber({ wabaId: waba.id });
      const codes: number[] = [];
      for (let index = 0; index < 46; index += 1) {
        nowMs += 20;
        const res = await post(
          `/v25.0/${phone.id}/messages`,
          { messaging_product: 'whatsapp', to: '447700900001', type: 'text', text: { body: 'hi' } },
          SYSTEM_TOKEN,
        );
        codes.push(res.status === 200 ? 0 : errorOf(res).code);
      }
      expect(codes.slice(0, 45).every((code) => code === 0)).toBe(true);
      expect(codes[45]).toBe(131056);
    });
  });

  describe('sends', () => {
    const template = { name: 'promo', language: { code: 'en_US' } };

    it('should refuse /marketing_messages for a WABA that is not onboarded under STRICT with 134102, and fall back otherwise', async () => {
      const waba = sut.createWaba({ marketingMessagesOnboardingStatus: 'ELIGIBLE' });
      const phone = sut.createPhoneNumber({ wabaId: waba.id });
      const body = { messaging_product: 'whatsapp', to: '447700900002', type: 'template', template };
      const strict = await post(
        `/v25.0/${phone.id}/marketing_messages`,
        { ...body, product_policy: 'STRICT' },
        SYSTEM_TOKEN,
      );
      expect(strict.status).toBe(500);
      expect(errorOf(strict).code).toBe(134102);
      expect((await post(`/v25.0/${phone.id}/marketing_messages`, body, SYSTEM_TOKEN)).status).toBe(200);
    });

    it('should refuse utility templates (134100), templates still syncing (134101) and unregistered numbers (133010)', async () => {
      const waba = sut.createWaba({
        marketingMessagesOnboardingStatus: 'ONBOARDED',
        templates: [
          { name: 'otp', category: 'UTILITY' },
          { name: 'fresh', syncedAt: Math.floor(nowMs / 1000) + 600 },
        ],
      });
      const phone = sut.createPhoneNumber({ wabaId: waba.id });
      const send = (name: string, phoneId = phone.id): Promise<GraphCallResult> =>
        post(
          `/v25.0/${phoneId}/marketing_messages`,
          { messaging_product: 'whatsapp', to: '447700900003', type: 'template', template: { ...template, name } },
          SYSTEM_TOKEN,
        );
      expect(errorOf(await send('otp')).code).toBe(134100);
      expect(errorOf(await send('fresh')).code).toBe(134101);
      const pending = sut.createPhoneNumber({ wabaId: waba.id, status: 'PENDING' });
      expect(errorOf(await send('promo', pending.id)).code).toBe(133010);
    });

    it('should accept form-encoded sends with a JSON-encoded template', async () => {
      const waba = sut.createWaba();
      const phone = sut.createPhoneNumber({ wabaId: waba.id });
      const res = await graphCall(base, 'POST', `/v25.0/${phone.id}/messages`, {
        token: SYSTEM_TOKEN,
        form: {
          messaging_product: 'whatsapp',
          to: '447700900004',
          type: 'template',
          template: JSON.stringify(template),
        },
      });
      expect(res.status).toBe(200);
      expect((res.json as { messages: Array<{ id: string }> }).messages[0].id).toMatch(/^wamid\./);
    });
  });

  describe('fault injection', () => {
    it.each([
      ['http500', 500, 1],
      ['http503', 503, 2],
      ['transient', 500, 131000],
      ['app_throttle', 400, 4],
      ['waba_throttle', 400, 80007],
      ['throttle', 400, 80008],
      ['expired_token', 401, 190],
      ['invalid_token', 401, 190],
    ] as const)('should answer the %s fault once and then recover', async (kind, status, code) => {
      const waba = sut.createWaba();
      sut.injectFault({ path: `/${waba.id}`, kind, times: 1, regainMinutes: 7 });
      const faulted = await get(`/v25.0/${waba.id}`, SYSTEM_TOKEN);
      expect(faulted.status).toBe(status);
      expect(errorOf(faulted).code).toBe(code);
      if (kind === 'throttle') {
        const header = JSON.parse(faulted.headers.get('x-business-use-case-usage') ?? '{}') as Record<
          string,
          Array<{ estimated_time_to_regain_access: number }>
        >;
        expect(header[waba.id][0].estimated_time_to_regain_access).toBe(7);
      }
      expect((await get(`/v25.0/${waba.id}`, SYSTEM_TOKEN)).status).toBe(200);
    });

    it('should answer 200 with a non-JSON body for the malformed fault', async () => {
      const waba = sut.createWaba();
      sut.injectFault({ path: '*', kind: 'malformed', times: 1 });
      const res = await get(`/v25.0/${waba.id}`, SYSTEM_TOKEN);
      expect(res.status).toBe(200);
      expect(res.json).toBeUndefined();
    });

    it('should answer an explicit meta_error only for the matching method and glob', async () => {
      const waba = sut.createWaba();
      const phone = sut.createPhoneNumber({ wabaId: waba.id });
      sut.injectFault({
        method: 'POST',
        path: '/*/messages',
        kind: 'meta_error',
        error: {
          code: 131049,
          message: '(#131049) This message was not delivered to maintain healthy ecosystem engagement.',
          details: 'per-user limit',
        },
      });
      expect((await get(`/v25.0/${phone.id}`, SYSTEM_TOKEN)).status).toBe(200);
      const res = await post(
        `/v25.0/${phone.id}/messages`,
        { messaging_product: 'whatsapp', to: '1', type: 'text' },
        SYSTEM_TOKEN,
      );
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: { code: 131049, error_data: { messaging_product: 'whatsapp', details: 'per-user limit' } },
      });
      sut.clearFaults();
      expect(
        (
          await post(
            `/v25.0/${phone.id}/messages`,
            { messaging_product: 'whatsapp', to: '1', type: 'text' },
            SYSTEM_TOKEN,
          )
        ).status,
      ).toBe(200);
    });

    it('should never answer a hanging request, so the client times out, and keep serving others', async () => {
      const waba = sut.createWaba();
      sut.injectFault({ path: `/${waba.id}`, kind: 'hang', times: 1 });
      await expect(
        graphCall(base, 'GET', `/v25.0/${waba.id}`, { token: SYSTEM_TOKEN, signal: AbortSignal.timeout(300) }),
      ).rejects.toThrow();
      expect((await get(`/v25.0/${waba.id}`, SYSTEM_TOKEN)).status).toBe(200);
    });

    it('should stop promptly while a request hangs', async () => {
      const other = new MetaSimulator({ appId: APP_ID, appSecret: APP_SECRET, systemUserToken: SYSTEM_TOKEN });
      const url = await other.start();
      other.injectFault({ path: '*', kind: 'hang' });
      const pending = graphCall(url, 'GET', '/v25.0/debug_token', { token: SYSTEM_TOKEN }).catch(
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      await other.stop();
      // The client sees the socket closed (a fetch error), never an answer.
      expect(await pending).not.toHaveProperty('status');
    });

    describe('answers lost after Meta accepted the request', () => {
      const send = (phoneId: string, to: string, signal?: AbortSignal): Promise<GraphCallResult> =>
        graphCall(base, 'POST', `/v25.0/${phoneId}/marketing_messages`, {
          token: SYSTEM_TOKEN,
          body: {
            messaging_product: 'whatsapp',
            to,
            type: 'template',
            template: { name: 'promo', language: { code: 'en_US' } },
          },
          signal,
        });

      it('should send the message and then never answer for accept_then_hang', async () => {
        const phone = sut.createPhoneNumber({ wabaId: sut.createWaba().id });
        sut.injectFault({ method: 'POST', path: '/*/marketing_messages', kind: 'accept_then_hang', times: 1 });

        await expect(send(phone.id, '447700900101', AbortSignal.timeout(300))).rejects.toThrow();

        expect(sut.sentMessages).toEqual([
          expect.objectContaining({ phoneNumberId: phone.id, endpoint: 'marketing_messages', to: '447700900101' }),
        ]);
        expect(sut.requests.at(-1)).toMatchObject({ path: `/${phone.id}/marketing_messages`, status: 200 });
      });

      it('should send the message and then reset the connection for accept_then_reset', async () => {
        const phone = sut.createPhoneNumber({ wabaId: sut.createWaba().id });
        sut.injectFault({ method: 'POST', path: '/*/marketing_messages', kind: 'accept_then_reset', times: 1 });

        await expect(send(phone.id, '447700900102')).rejects.toThrow();

        expect(sut.sentMessages.map((message) => message.to)).toEqual(['447700900102']);
      });

      it('should send the message and answer 200 with an unreadable body for accept_then_malformed', async () => {
        const phone = sut.createPhoneNumber({ wabaId: sut.createWaba().id });
        sut.injectFault({ method: 'POST', path: '/*/marketing_messages', kind: 'accept_then_malformed', times: 1 });

        const res = await send(phone.id, '447700900103');

        expect(res.status).toBe(200);
        expect(res.json).toBeUndefined();
        expect(sut.sentMessages.map((message) => message.to)).toEqual(['447700900103']);
        // The next send is answered normally: the fault was used up.
        expect((await send(phone.id, '447700900104')).status).toBe(200);
        expect(sut.sentMessages).toHaveLength(2);
      });

      it('should lose the error answer too when Meta refuses the request, and record no message', async () => {
        const waba = sut.createWaba();
        const phone = sut.createPhoneNumber({ wabaId: waba.id });
        sut.updateWaba(waba.id, { state: 'DISABLED' });
        sut.injectFault({ method: 'POST', path: '/*/marketing_messages', kind: 'accept_then_malformed', times: 1 });

        const res = await send(phone.id, '447700900105');

        expect(res.status).toBe(200);
        expect(sut.requests.at(-1)?.status).toBe(403);
        expect(sut.sentMessages).toHaveLength(0);
      });

      it('should list accepted messages on the control API, by recipient', async () => {
        const phone = sut.createPhoneNumber({ wabaId: sut.createWaba().id });
        await send(phone.id, '447700900106');
        await send(phone.id, '447700900107');

        const listed = await graphCall(base, 'GET', '/_sim/messages?to=447700900107');

        expect(listed.json).toEqual({ data: [expect.objectContaining({ to: '447700900107', template: 'promo' })] });
      });
    });

    it('should still answer with latency configured for a path', async () => {
      const waba = sut.createWaba();
      sut.setLatency(20, `/${waba.id}`);
      expect((await get(`/v25.0/${waba.id}`, SYSTEM_TOKEN)).status).toBe(200);
      sut.setLatency(0);
    });
  });

  describe('versions and headers', () => {
    it('should accept any version prefix or none and echo it', async () => {
      const waba = sut.createWaba();
      for (const [prefix, echoed] of [
        ['/v23.0', 'v23.0'],
        ['/v26.0', 'v26.0'],
        ['', 'v25.0'],
      ]) {
        const res = await get(`${prefix}/${waba.id}`, SYSTEM_TOKEN);
        expect(res.status).toBe(200);
        expect(res.headers.get('facebook-api-version')).toBe(echoed);
        expect(res.headers.get('x-fb-trace-id')).toBeTruthy();
        expect(res.headers.get('x-app-usage')).toBeTruthy();
      }
    });
  });

  describe('scenario events and webhooks', () => {
    it('should sign emitted webhooks with the app secret', async () => {
      sut.setWebhookUrl(receiver.url);
      const waba = sut.createWaba();
      const delivery = await sut.applyEvent(waba.id, 'DISABLE');
      expect(delivery?.status).toBe(200);
      const received = receiver.received[0];
      const expected = `sha256=${createHmac('sha256', APP_SECRET).update(received.body).digest('hex')}`;
      expect(received.headers['x-hub-signature-256']).toBe(expected);
      expect(delivery?.signature).toBe(expected);
      expect(received.body).toBe(delivery?.body);
    });

    it('should walk the MM onboarding state machine and mark a disabled WABA blocked', async () => {
      sut.setWebhookUrl(receiver.url);
      const waba = sut.createWaba();
      const sibling = sut.createWaba({ businessId: waba.businessId });
      await sut.applyEvent(waba.id, 'MM_LITE_TERMS_SIGNED');
      expect(
        receiver.received
          .map(
            (item) =>
              (
                JSON.parse(item.body) as {
                  entry: Array<{ changes: Array<{ value: { waba_info: { waba_id: string } } }> }>;
                }
              ).entry[0].changes[0].value.waba_info.waba_id,
          )
          .sort(),
      ).toEqual([waba.id, sibling.id].sort());
      expect(sut.getWaba(waba.id)?.marketingMessagesOnboardingStatus).toBe('PENDING_INTERNAL_SETUP');
      const terms = await get(`/v25.0/${waba.businessId}?fields=marketing_messages_onboarding_status`, SYSTEM_TOKEN);
      expect(terms.json).toMatchObject({ marketing_messages_onboarding_status: { status: 'TERM_OF_SERVICE_SIGNED' } });
      await sut.applyEvent(waba.id, 'MM_LITE_ONBOARDED');
      expect(sut.getWaba(waba.id)?.marketingMessagesOnboardingStatus).toBe('ONBOARDED');
      await sut.applyEvent(waba.id, 'DISABLE');
      const disabled = await get(
        `/v25.0/${waba.id}?fields=marketing_messages_onboarding_status,health_status,status`,
        SYSTEM_TOKEN,
      );
      expect(disabled.json).toMatchObject({
        marketing_messages_onboarding_status: 'INELIGIBLE_INACTIVE_OR_RESTRICTED',
        health_status: { can_send_message: 'BLOCKED' },
        status: 'ACTIVE',
      });
      await sut.applyEvent(waba.id, 'REINSTATE');
      expect(sut.getWaba(waba.id)).toMatchObject({ state: 'ACTIVE', marketingMessagesOnboardingStatus: 'ONBOARDED' });
    });

    it('should cut business tokens off after PARTNER_REMOVED', async () => {
      const waba = sut.createWaba();
      const token = sut.issueToken({ wabaIds: [waba.id] });
      expect(await sut.applyEvent(waba.id, 'PARTNER_REMOVED')).toBeNull();
      expect(errorOf(await get(`/v25.0/${waba.id}`, token))).toMatchObject({ code: 100, error_subcode: 33 });
    });

    it('should send raw payloads with a bad signature and retry until the callback answers 2xx', async () => {
      sut.setWebhookUrl(receiver.url);
      receiver.status = 500;
      const payload = sut.buildWebhook('account_review_update', { decision: 'APPROVED' }, '123');
      const failed = await sut.sendWebhook(payload, { signature: 'sha256=bad', attempts: 2 });
      expect(failed.status).toBe(500);
      expect(receiver.received).toHaveLength(2);
      expect(receiver.received[0].headers['x-hub-signature-256']).toBe('sha256=bad');
      receiver.status = 200;
      const duplicate = await sut.sendWebhook(failed.body);
      expect(duplicate.status).toBe(200);
      expect(receiver.received[2].body).toBe(failed.body);
    });
  });

  describe('control API', () => {
    const control = (method: string, path: string, body?: unknown): Promise<GraphCallResult> =>
      graphCall(base, method, `/_sim${path}`, { body });

    it('should drive a whole scenario over HTTP', async () => {
      const session = (await control('POST', '/signup-sessions', { wabaName: 'Over HTTP' })).json as {
        code: string;
        wabaId: string;
        phoneNumberId: string;
      };
      expect(session.code).toBeTruthy();
      expect(
        (await control('PATCH', `/wabas/${session.wabaId}`, { accountReviewStatus: 'PENDING' })).json,
      ).toMatchObject({ accountReviewStatus: 'PENDING' });
      expect(
        (await control('PATCH', `/phone-numbers/${session.phoneNumberId}`, { qualityRating: 'RED' })).json,
      ).toMatchObject({ qualityRating: 'RED' });
      const created = (await control('POST', '/wabas', { name: 'Second' })).json as { id: string };
      const phone = (await control('POST', '/phone-numbers', { wabaId: created.id })).json as { id: string };
      const { token } = (await control('POST', '/tokens', { wabaIds: [created.id] })).json as { token: string };
      expect((await get(`/v25.0/${phone.id}`, token)).status).toBe(200);
      const fault = await control('POST', '/faults', { path: `/${created.id}`, kind: 'http503', times: 1 });
      expect(fault.status).toBe(201);
      expect((await get(`/v25.0/${created.id}`, token)).status).toBe(503);
      expect((await control('POST', '/latency', { ms: 0 })).status).toBe(200);
      const requests = (await control('GET', `/requests?path=${created.id}`)).json as {
        data: Array<{ status: number }>;
      };
      expect(requests.data.map((entry) => entry.status)).toEqual([503]);
      expect((await control('DELETE', '/requests')).status).toBe(200);
      expect(sut.requests).toHaveLength(0);
      const event = await control('POST', `/wabas/${created.id}/events`, { type: 'SCHEDULE_FOR_DISABLE' });
      expect(event.json).toMatchObject({ delivery: null, waba: { state: 'SCHEDULED_FOR_DISABLE' } });
      const state = (await control('GET', `/state/wabas/${created.id}`)).json as { phoneNumbers: unknown[] };
      expect(state.phoneNumbers).toHaveLength(1);
      expect((await control('POST', '/tokens/expire', { token })).status).toBe(200);
      expect((await get(`/v25.0/${created.id}`, token)).status).toBe(401);
      expect((await control('DELETE', '/faults')).status).toBe(200);
      expect((await control('POST', '/reset')).status).toBe(200);
      expect((await control('GET', `/state/wabas/${created.id}`)).status).toBe(404);
      expect((await control('GET', '/nope')).status).toBe(404);
    });

    it('should send raw webhooks through the control API', async () => {
      expect((await control('PUT', '/webhook-url', { url: receiver.url })).json).toEqual({ url: receiver.url });
      const res = await control('POST', '/webhooks', { payload: '{"object":"whatsapp_business_account","entry":[]}' });
      expect(res.json).toMatchObject({ status: 200, body: '{"object":"whatsapp_business_account","entry":[]}' });
      expect(receiver.received[0].headers['x-hub-signature-256']).toBe(sut.signWebhook(receiver.received[0].body));
    });
  });
});

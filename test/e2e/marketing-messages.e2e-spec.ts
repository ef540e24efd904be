import { MikroORM, RequestContext } from '@mikro-orm/core';

import type { FaultError, SimTemplate } from 'src/meta-simulator/meta-simulator.types';
import { TemplatesService } from 'src/modules/templates/templates.service';
import { type ConnectedNumber, connectNumber, onboardToMmLite as onboard } from 'test/utils/connect-number';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

type Connected = ConnectedNumber;

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };

describe('Marketing template sends (e2e)', () => {
  let sut: TestApp;
  let key: string;
  /** A number on Cloud API (WABA not onboarded). */
  let cloud: Connected;
  /** A number switched to MM Lite on an onboarded WABA. */
  let mmLite: Connected;
  let recipientSeq = 0;

  const auth = (): [string, string] => ['Authorization', `Bearer ${key}`];
  // A fresh UK recipient per send, so Meta's pair rate limit never interferes.
  const recipient = (): string => `+4477009${String(10_000 + recipientSeq++).slice(-5)}`;

  // The WABA has the template the sends name (the service checks it before calling Meta).
  const connect = (wabaName: string): Promise<Connected> =>
    connectNumber(sut, key, { wabaName, templates: [{ ...TEMPLATE, category: 'MARKETING' }] });
  const onboardToMmLite = (number: Connected): Promise<void> => onboard(sut, key, number);

  /** Templates changed at Meta, and read again by the service as a re-sync round would. */
  async function atMeta(wabaId: string, templates: Array<Partial<SimTemplate> & { name: string }>): Promise<void> {
    sut.simulator.updateWaba(wabaId, { templates });
    const refreshed = await RequestContext.create(sut.app.get(MikroORM).em.fork(), () =>
      sut.app.get(TemplatesService).refreshWabaTemplates(wabaId),
    );
    expect(refreshed).toBe('SYNCED');
  }

  function send(phoneNumberId: string, body: Record<string, unknown>) {
    return sut
      .http()
      .post(`/api/v1/phone-numbers/${phoneNumberId}/marketing-messages`)
      .set(...auth())
      .send(body);
  }

  function sendPaths(): string[] {
    return sut.simulator.requests
      .filter((entry) => entry.method === 'POST' && /\/(marketing_)?messages$/.test(entry.path))
      .map((entry) => entry.path);
  }

  beforeAll(async () => {
    sut = await createTestApp();
    key = (await sut.createOrganization('Marketing Co')).key;
    cloud = await connect('Cloud API WABA');
    mmLite = await connect('MM Lite WABA');
    await onboardToMmLite(mmLite);
  });

  afterAll(async () => {
    await sut.close();
  });

  afterEach(() => {
    sut.simulator.clearFaults();
  });

  it('should send through /marketing_messages for an MM Lite number of an onboarded WABA', async () => {
    sut.simulator.clearRequests();
    const to = recipient();

    const response = await send(mmLite.phoneNumberId, { to, template: TEMPLATE }).expect(202);

    expect(response.body).toEqual({
      id: expect.any(String),
      messageId: expect.stringMatching(/^wamid\./),
      channel: 'MM_LITE',
      recipientType: 'PHONE_NUMBER',
      recipient: { phone: to },
    });
    expect(sendPaths()).toEqual([`/${mmLite.phoneNumberId}/marketing_messages`]);
    const call = sut.simulator.requests.find((entry) => entry.path.endsWith('/marketing_messages'));
    expect(call?.body).toMatchObject({
      messaging_product: 'whatsapp',
      to,
      type: 'template',
      template: { name: TEMPLATE.name, language: { code: TEMPLATE.language } },
    });
  });

  it('should send through /messages for a Cloud API number, with the components as given', async () => {
    sut.simulator.clearRequests();
    const components = [{ type: 'body', parameters: [{ type: 'text', text: '20%' }] }];

    const to = recipient();
    const response = await send(cloud.phoneNumberId, {
      to: to.slice(1),
      template: { ...TEMPLATE, components },
    }).expect(202);

    expect(response.body).toEqual({
      id: expect.any(String),
      messageId: expect.stringMatching(/^wamid\./),
      channel: 'CLOUD_API',
      recipientType: 'PHONE_NUMBER',
      recipient: { phone: to },
    });
    expect(sendPaths()).toEqual([`/${cloud.phoneNumberId}/messages`]);
    expect(sut.simulator.requests.at(-1)?.body).toMatchObject({ template: { components } });
  });

  describe('to a business-scoped user ID (recipient)', () => {
    let bsuidSeq = 0;
    // A fresh BSUID per send (outside the US region), so Meta's pair rate limit never interferes.
    const bsuid = (): string => `GB.${13491208655302741918n + BigInt(bsuidSeq++)}`;

    function sendBodies(): Array<Record<string, unknown>> {
      return sut.simulator.requests
        .filter((entry) => entry.method === 'POST' && /\/(marketing_)?messages$/.test(entry.path))
        .map((entry) => entry.body as Record<string, unknown>);
    }

    it.each<[string, () => Connected, string, string]>([
      ['MM Lite', () => mmLite, 'marketing_messages', 'MM_LITE'],
      ['Cloud API', () => cloud, 'messages', 'CLOUD_API'],
    ])('should send through %s with recipient and without to, and say so', async (_label, number, edge, channel) => {
      sut.simulator.clearRequests();
      const id = bsuid();

      const response = await send(number().phoneNumberId, { recipient: id, template: TEMPLATE }).expect(202);

      expect(response.body).toEqual({
        id: expect.any(String),
        messageId: expect.stringMatching(/^wamid\./),
        channel,
        recipientType: 'BSUID',
        recipient: { bsuid: id },
      });
      expect(sendPaths()).toEqual([`/${number().phoneNumberId}/${edge}`]);
      const [body] = sendBodies();
      expect(body).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'individual', recipient: id });
      expect(body).not.toHaveProperty('to');
      expect(sut.simulator.sentMessages.filter((message) => message.to === id)).toHaveLength(1);
    });

    it('should read a null next to the other recipient field as left out', async () => {
      sut.simulator.clearRequests();
      const id = bsuid();

      const byBsuid = await send(mmLite.phoneNumberId, { to: null, recipient: id, template: TEMPLATE }).expect(202);
      const byPhone = await send(mmLite.phoneNumberId, { to: recipient(), recipient: null, template: TEMPLATE }).expect(
        202,
      );

      expect(byBsuid.body.recipientType).toBe('BSUID');
      expect(byPhone.body.recipientType).toBe('PHONE_NUMBER');
      expect(sendBodies()[0]).not.toHaveProperty('to');
      expect(sendBodies()[1]).not.toHaveProperty('recipient');
    });

    it('should send a parent BSUID exactly as given', async () => {
      sut.simulator.clearRequests();

      const response = await send(mmLite.phoneNumberId, {
        recipient: 'GB.ENT.11815799212886844830',
        template: TEMPLATE,
      }).expect(202);

      expect(response.body.recipient).toEqual({ bsuid: 'GB.ENT.11815799212886844830' });
      expect(sendBodies()).toEqual([expect.objectContaining({ recipient: 'GB.ENT.11815799212886844830' })]);
    });

    it.each<[string, Record<string, unknown>, string, string]>([
      [
        'both to and recipient',
        { to: '+447700900123', recipient: 'GB.13491208655302741918' },
        'recipient',
        'exactly one of to',
      ],
      ['neither to nor recipient', {}, 'to', 'to or recipient is required'],
      ['a lower-case region', { recipient: 'gb.13491208655302741918' }, 'recipient', 'upper-case region'],
      ['no region', { recipient: '13491208655302741918' }, 'recipient', 'phone number goes in to'],
      ['symbols', { recipient: 'GB.1349-1208 655' }, 'recipient', 'letters and digits'],
      ['too long an ID', { recipient: `GB.${'1'.repeat(129)}` }, 'recipient', '128'],
      ['a JSON number', { recipient: 1349120865530274 }, 'recipient', 'must be a string'],
    ])('should refuse %s with 400 naming %s, without calling Meta', async (_label, body, field, explanation) => {
      sut.simulator.clearRequests();

      const response = await send(mmLite.phoneNumberId, { ...body, template: TEMPLATE }).expect(400);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        code: 'VALIDATION_FAILED',
        errors: [{ field, message: expect.stringContaining(explanation) }],
      });
      expect(response.body.errors).toHaveLength(1);
      expect(sut.simulator.requests).toHaveLength(0);
    });

    it('should refuse a BSUID of the US region with 422 MARKETING_REGION_RESTRICTED naming recipient, before Meta', async () => {
      sut.simulator.clearRequests();

      const response = await send(mmLite.phoneNumberId, {
        recipient: 'US.13491208655302741918',
        template: TEMPLATE,
      }).expect(422);

      expect(response.body).toMatchObject({
        code: 'MARKETING_REGION_RESTRICTED',
        region: 'US',
        errors: [{ field: 'recipient', message: expect.stringContaining('US') }],
      });
      expect(sut.simulator.requests).toHaveLength(0);
    });

    it('should map Meta 131062 for a max-price template to 422 saying to use the phone number or another template', async () => {
      await atMeta(mmLite.wabaId, [
        { name: 'capped_promo', optimizationSpec: { bid_strategy: 'LOWEST_COST_WITH_BID_CAP', bid_amount: 5000 } },
      ]);
      const capped = { name: 'capped_promo', language: 'en_US' };

      const response = await send(mmLite.phoneNumberId, { recipient: bsuid(), template: capped }).expect(422);

      expect(response.body).toMatchObject({
        code: 'RECIPIENT_TYPE_NOT_SUPPORTED',
        metaCode: 131062,
        errors: [{ field: 'recipient', message: expect.any(String) }],
      });
      expect(response.body.detail).toContain('phone number');
      expect(response.body.detail).toContain('another template');
      // The same template to a phone number goes through.
      await send(mmLite.phoneNumberId, { to: recipient(), template: capped }).expect(202);
    });

    it('should refuse an authentication template to a BSUID before Meta: it is not a marketing template', async () => {
      await atMeta(cloud.wabaId, [{ name: 'login_code', category: 'AUTHENTICATION' }]);
      sut.simulator.clearRequests();

      const response = await send(cloud.phoneNumberId, {
        recipient: bsuid(),
        template: { name: 'login_code', language: 'en_US' },
      }).expect(422);

      expect(response.body).toMatchObject({ code: 'TEMPLATE_NOT_SENDABLE', category: 'AUTHENTICATION' });
      expect(sendPaths()).toEqual([]);
    });

    it('should map Meta 131061 (a max-price template on Cloud API) to 409 TEMPLATE_REQUIRES_MM_LITE', async () => {
      await atMeta(cloud.wabaId, [
        { name: 'capped_promo', optimizationSpec: { bid_strategy: 'LOWEST_COST_WITH_BID_CAP', bid_amount: 5000 } },
      ]);

      const response = await send(cloud.phoneNumberId, {
        to: recipient(),
        template: { name: 'capped_promo', language: 'en_US' },
      }).expect(409);

      expect(response.body).toMatchObject({
        code: 'TEMPLATE_REQUIRES_MM_LITE',
        metaCode: 131061,
        errors: [{ field: 'template.name', message: expect.any(String) }],
      });
      expect(response.body.detail).toContain('MM_LITE');
    });

    it('should answer 504 SEND_OUTCOME_UNKNOWN for a BSUID send whose answer is lost, without sending it again', async () => {
      sut.simulator.injectFault({
        method: 'POST',
        path: `/${mmLite.phoneNumberId}/marketing_messages`,
        kind: 'accept_then_hang',
        times: 1,
      });
      sut.simulator.clearRequests();
      const id = bsuid();

      const response = await send(mmLite.phoneNumberId, { recipient: id, template: TEMPLATE }).expect(504);

      expect(response.body).toMatchObject({ code: 'SEND_OUTCOME_UNKNOWN', channel: 'MM_LITE' });
      expect(sut.simulator.sentMessages.filter((message) => message.to === id)).toHaveLength(1);
      expect(sendPaths()).toEqual([`/${mmLite.phoneNumberId}/marketing_messages`]);
    });

    it('should describe recipient, and that exactly one of to and recipient is taken, in the OpenAPI document', async () => {
      const document = (await sut.http().get('/docs-json').expect(200)).body;
      const schema = document.components.schemas.SendMarketingMessageDto;

      expect(schema.required ?? []).not.toContain('to');
      expect(schema.properties.recipient.type).toBe('string');
      expect(schema.properties.recipient.description).toContain('US.13491208655302741918');
      expect(schema.properties.recipient.description).toContain('131062');
      expect(schema.properties.to.description).toContain('`recipient`');
      expect(document.components.schemas.MarketingMessageResponseDto.properties.recipientType).toBeDefined();
    });
  });

  it('should refuse a +1 US destination with 422 before any Graph call, with or without +', async () => {
    for (const to of ['+16505551234', '16505551234']) {
      sut.simulator.clearRequests();

      const response = await send(mmLite.phoneNumberId, { to, template: TEMPLATE }).expect(422);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        code: 'MARKETING_REGION_RESTRICTED',
        region: 'US',
        errors: [{ field: 'to', message: expect.stringContaining('US') }],
      });
      expect(response.body.detail).toContain('2025-04-01');
      expect(sut.simulator.requests).toHaveLength(0);
    }
  });

  it('should let a Canadian +1 destination through, since the restriction is on US numbers only', async () => {
    sut.simulator.clearRequests();

    const response = await send(cloud.phoneNumberId, { to: '+14165550123', template: TEMPLATE }).expect(202);

    expect(response.body.channel).toBe('CLOUD_API');
    expect(sendPaths()).toEqual([`/${cloud.phoneNumberId}/messages`]);
  });

  function sentTo(): unknown[] {
    return sut.simulator.requests
      .filter((entry) => entry.method === 'POST' && /\/(marketing_)?messages$/.test(entry.path))
      .map((entry) => (entry.body as { to?: unknown } | undefined)?.to);
  }

  it.each<[string, string]>([
    ['+44 7700 900201', '+447700900201'],
    ['0044 7700 900202', '+447700900202'],
    ['00 44 (0)7700 900203', '+447700900203'],
    ['+44 (0) 7700-900-204', '+447700900204'],
    ['447700900205', '+447700900205'],
    ['+1 (416) 555-0101', '+14165550101'],
    ['+1.416.555.0102', '+14165550102'],
    ['001 416 555 0103', '+14165550103'],
    ['1-416-555-0104', '+14165550104'],
    ['(+55) 11 98765-4321', '+5511987654321'],
    ['\u202d+44\u00a07700\u00a0900206\u202c', '+447700900206'],
  ])('should accept %j and send Meta the E.164 number %s', async (to, e164) => {
    for (const number of [mmLite, cloud]) {
      sut.simulator.clearRequests();

      await send(number.phoneNumberId, { to, template: TEMPLATE }).expect(202);

      expect(sentTo()).toEqual([e164]);
    }
  });

  it.each([
    '+1 (212) 555-0100',
    '001 212 555 0100',
    '+1.212.555.0100',
    '+1-212-555-0100',
    '1 (212) 555-0100',
    '12125550100',
    '00 1 (212) 555.0100',
    '(+1) 212 555 0100',
    '+1\u00a0212\u2011555\u20110100',
    '+1 (787) 555-0100',
  ])('should refuse the US number %j with 422 MARKETING_REGION_RESTRICTED before any Graph call', async (to) => {
    sut.simulator.clearRequests();

    const response = await send(mmLite.phoneNumberId, { to, template: TEMPLATE }).expect(422);

    expect(response.body).toMatchObject({
      code: 'MARKETING_REGION_RESTRICTED',
      region: 'US',
      errors: [{ field: 'to', message: expect.stringContaining('US') }],
    });
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it.each<[string, unknown, string]>([
    ['letters', 'call me maybe', 'may contain only digits'],
    ['an extension', '+44 7700 900123 ext. 5', 'may contain only digits'],
    ['a NUL', '+44 7700\u0000900123', 'U+0000'],
    ['a newline', '+447700900123\n+447700900124', 'U+000A'],
    [
      'Arabic-Indic digits',
      '+\u0664\u0664 \u0667\u0667\u0660\u0660 \u0669\u0660\u0660\u0661\u0662\u0663',
      'digits 0-9',
    ],
    ['full-width digits', '\uff0b\uff14\uff14\uff17\uff17\uff10\uff10\uff19\uff10\uff10\uff11\uff12\uff13', 'found'],
    ['two pluses', '++447700900123', 'one + only'],
    ['a plus inside', '44+7700900123', 'one + only'],
    ['+0', '+0 7700 900123', 'never start with 0'],
    ['000', '000 44 7700 900123', 'never start with 0'],
    ['a national number (trunk 0)', '07700 900123', 'must include the country code'],
    ['a national number (area code)', '(415) 555-0100', 'must include the country code'],
    ['an unclosed parenthesis', '+1 (416 555-0100', 'without a matching )'],
    ['too few digits', '+44 7700', 'too few digits'],
    ['too many digits', '+44 7700 900123 45678', 'too many digits'],
    ['very long input', '+' + '1'.repeat(10_000), 'too long'],
    ['empty', '', 'country code'],
    ['whitespace only', '   ', 'country code'],
    ['a JSON number', 447700900123, 'must be a string'],
    ['null', null, 'must be a string'],
  ])('should refuse %s with 400 naming to, without calling Meta', async (_label, to, explanation) => {
    sut.simulator.clearRequests();

    const response = await send(mmLite.phoneNumberId, { to, template: TEMPLATE }).expect(400);

    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({
      code: 'VALIDATION_FAILED',
      errors: [{ field: 'to', message: expect.stringContaining(explanation) }],
    });
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors[0].message).toMatch(/^to /);
    expect(response.body.errors[0].message).not.toContain('\u0000');
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it('should say in the OpenAPI description of to which spellings are accepted', async () => {
    const document = (await sut.http().get('/docs-json').expect(200)).body;
    const to = document.components.schemas.SendMarketingMessageDto.properties.to;

    expect(to.type).toBe('string');
    for (const spelling of ['+44 7700 900123', '0044 7700 900123', '+1 (416) 555-0100', '+1.416.555.0100']) {
      expect(to.description).toContain(spelling);
    }
    expect(to.description).toContain('E.164');
  });

  it('should answer 400 naming each bad field, without calling Meta', async () => {
    sut.simulator.clearRequests();
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ to: recipient() }, ['template']],
      [{ to: 'call me', template: TEMPLATE }, ['to']],
      [{ to: recipient(), template: { language: 'en_US' } }, ['template.name']],
      [
        { to: recipient(), template: { name: 'Bad Name!', language: 'english please' } },
        ['template.name', 'template.language'],
      ],
      [{ to: recipient(), template: { ...TEMPLATE, components: 'header' } }, ['template.components']],
      [{ to: recipient(), template: TEMPLATE, type: 'text' }, ['type']],
    ];
    for (const [body, fields] of cases) {
      const response = await send(cloud.phoneNumberId, body).expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect([...new Set((response.body.errors as Array<{ field: string }>).map((error) => error.field))]).toEqual(
        fields,
      );
    }
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it("should answer 404 for another organization's number without calling Meta", async () => {
    const other = await sut.createOrganization('Other Co');
    sut.simulator.clearRequests();

    const response = await sut
      .http()
      .post(`/api/v1/phone-numbers/${cloud.phoneNumberId}/marketing-messages`)
      .set('Authorization', `Bearer ${other.key}`)
      .send({ to: recipient(), template: TEMPLATE })
      .expect(404);

    expect(response.body.code).toBe('NOT_FOUND');
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it.each<[string, FaultError, number, string, string | undefined]>([
    ['131049 per-user marketing limit', { code: 131049 }, 422, 'MARKETING_PER_USER_LIMIT', '24 hours'],
    ['131050 recipient opted out', { code: 131050 }, 422, 'RECIPIENT_OPTED_OUT', 'opted out'],
    ['131062 BSUID not supported', { code: 131062 }, 422, 'RECIPIENT_TYPE_NOT_SUPPORTED', 'phone number'],
    ['134100 not a marketing template', { code: 134100 }, 422, 'TEMPLATE_NOT_MARKETING', 'marketing templates only'],
    ['134101 template still syncing', { code: 134101 }, 409, 'TEMPLATE_NOT_YET_SYNCED', 'Retry-After'],
    ['131063 marketing disabled on Cloud API', { code: 131063 }, 409, 'MARKETING_DISABLED_ON_CLOUD_API', 'MM_LITE'],
    ['130429 throughput reached', { code: 130429, subcode: 2494055 }, 503, 'META_RATE_LIMITED', 'throughput'],
    ['131031 account locked', { code: 131031, httpStatus: 403 }, 409, 'WABA_RESTRICTED', 'WhatsApp Manager'],
    [
      '132001 template missing (default mapping)',
      { code: 132001, httpStatus: 404, details: 'template name (x) does not exist in en_US' },
      422,
      'META_REQUEST_REJECTED',
      'does not exist',
    ],
  ])('should map Meta error %s (%j) to %i %s', async (_label, error, status, code, hint) => {
    sut.simulator.injectFault({
      method: 'POST',
      path: `/${mmLite.phoneNumberId}/marketing_messages`,
      kind: 'meta_error',
      error,
      times: 1,
    });

    const response = await send(mmLite.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(status);

    expect(response.body.code).toBe(code);
    expect(response.body.metaCode).toBe(error.code);
    if (hint) {
      expect(response.body.detail).toContain(hint);
    }
    if (code === 'TEMPLATE_NOT_YET_SYNCED') {
      expect(response.headers['retry-after']).toBe('600');
    }
    if (code === 'META_RATE_LIMITED') {
      expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    }
  });

  it('should map what the simulator itself answers: 134100 utility template, 134101 syncing template, 131063 on Cloud API', async () => {
    const tomorrow = Math.floor(Date.now() / 1000) + 86_400;
    await atMeta(mmLite.wabaId, [
      { name: 'order_update', category: 'MARKETING' },
      { name: 'new_collection', category: 'MARKETING', syncedAt: tomorrow },
    ]);
    // Recategorised at Meta without a webhook: the stored templates still say MARKETING.
    sut.simulator.updateWaba(mmLite.wabaId, { templates: [{ name: 'order_update', category: 'UTILITY' }] });

    const utility = await send(mmLite.phoneNumberId, {
      to: recipient(),
      template: { name: 'order_update', language: 'en_US' },
    }).expect(422);
    expect(utility.body).toMatchObject({
      code: 'TEMPLATE_NOT_MARKETING',
      metaCode: 134100,
      templatesRefreshed: true,
      errors: [{ field: 'template.name', message: expect.any(String) }],
    });

    const syncing = await send(mmLite.phoneNumberId, {
      to: recipient(),
      template: { name: 'new_collection', language: 'en_US' },
    }).expect(409);
    expect(syncing.body).toMatchObject({ code: 'TEMPLATE_NOT_YET_SYNCED', metaCode: 134101 });
    expect(syncing.headers['retry-after']).toBe('600');

    // An onboarded WABA that turned marketing off on Cloud API, with a number still on Cloud API.
    const second = await connect('Cloud API off');
    await sut.simulator.applyEvent(second.wabaId, 'MM_LITE_ONBOARDED', { silent: true });
    await sut
      .http()
      .post(`/api/v1/wabas/${second.wabaId}/mm-lite/refresh`)
      .set(...auth())
      .expect(200);
    sut.simulator.updateWaba(second.wabaId, { disableMarketingMessagesOnCloudApi: true });
    const disabledOnCloud = await send(second.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(409);
    expect(disabledOnCloud.body).toMatchObject({ code: 'MARKETING_DISABLED_ON_CLOUD_API', metaCode: 131063 });
  });

  it('should answer 409 WABA_RESTRICTED when Meta blocks the WABA (368) and re-read its status at once', async () => {
    const restricted = await connect('Restricted at Meta');
    sut.simulator.updateWaba(restricted.wabaId, { state: 'DISABLED' });

    const response = await send(restricted.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(409);

    expect(response.body).toMatchObject({ code: 'WABA_RESTRICTED', metaCode: 368 });
    const waba = await sut
      .http()
      .get(`/api/v1/wabas/${restricted.wabaId}`)
      .set(...auth())
      .expect(200);
    expect(waba.body.status).toBe('DISABLED');

    // The stored status now refuses the next send before Meta is called.
    sut.simulator.clearRequests();
    const next = await send(restricted.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(409);
    expect(next.body.code).toBe('WABA_DISABLED');
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it('should refuse sends of a DISABLED WABA with 409 WABA_DISABLED without calling Meta', async () => {
    const banned = await connect('Banned');
    await sut.simulator.applyEvent(banned.wabaId, 'DISABLE', { silent: true });
    await sut
      .http()
      .post(`/api/v1/wabas/${banned.wabaId}/sync`)
      .set(...auth())
      .expect(200);
    sut.simulator.clearRequests();

    const response = await send(banned.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(409);

    expect(response.body.code).toBe('WABA_DISABLED');
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it('should mark the connection REAUTH_REQUIRED when Meta rejects the token on a send, then refuse without calling Meta', async () => {
    const rejected = await connect('Token rejected');
    sut.simulator.injectFault({
      method: 'POST',
      path: `/${rejected.phoneNumberId}/messages`,
      kind: 'invalid_token',
      times: 1,
    });

    const first = await send(rejected.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(409);
    expect(first.body.code).toBe('REAUTH_REQUIRED');
    const waba = await sut
      .http()
      .get(`/api/v1/wabas/${rejected.wabaId}`)
      .set(...auth())
      .expect(200);
    expect(waba.body.connection).toBe('REAUTH_REQUIRED');
    const audit = await sut
      .http()
      .get(`/api/v1/audit-events?wabaId=${rejected.wabaId}&type=CONNECTION_CHANGED`)
      .set(...auth())
      .expect(200);
    expect(audit.body.data).toHaveLength(1);

    sut.simulator.clearRequests();
    const second = await send(rejected.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(409);
    expect(second.body.code).toBe('REAUTH_REQUIRED');
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it('should answer META_UNAVAILABLE, saying a resend is safe, when Meta answers that the send failed', async () => {
    sut.simulator.injectFault({ method: 'POST', path: `/${cloud.phoneNumberId}/messages`, kind: 'http500', times: 1 });
    const to = recipient();

    const response = await send(cloud.phoneNumberId, { to, template: TEMPLATE }).expect(502);

    expect(response.body.code).toBe('META_UNAVAILABLE');
    expect(response.body.detail).toContain('not sent');
    expect(response.body.detail).toContain('again later is safe');
    expect(sut.simulator.sentMessages.filter((message) => message.to === to)).toHaveLength(0);
  });

  describe('a send whose answer is lost after Meta accepted it', () => {
    function acceptedTo(to: string) {
      return sut.simulator.sentMessages.filter((message) => message.to === to);
    }

    it('should answer 504 SEND_OUTCOME_UNKNOWN after a timeout, with Meta holding exactly one message', async () => {
      sut.simulator.injectFault({
        method: 'POST',
        path: `/${mmLite.phoneNumberId}/marketing_messages`,
        kind: 'accept_then_hang',
        times: 1,
      });
      sut.simulator.clearRequests();
      const to = recipient();

      const response = await send(mmLite.phoneNumberId, { to, template: TEMPLATE }).expect(504);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['retry-after']).toBeUndefined();
      expect(response.body).toMatchObject({
        code: 'SEND_OUTCOME_UNKNOWN',
        status: 504,
        channel: 'MM_LITE',
        requestId: expect.any(String),
      });
      expect(response.body.detail).toContain('may have been sent');
      expect(response.body.detail).toContain('Do not send it again');
      // The send is recorded UNKNOWN: the problem names its id to follow it by.
      expect(response.body).toMatchObject({ id: expect.any(String) });
      expect(response.body.detail).toContain("this answer's id");
      // Meta took it once, and the service did not try again behind the caller's back.
      expect(acceptedTo(to)).toEqual([
        expect.objectContaining({ phoneNumberId: mmLite.phoneNumberId, endpoint: 'marketing_messages' }),
      ]);
      expect(sendPaths()).toEqual([`/${mmLite.phoneNumberId}/marketing_messages`]);
    });

    it.each<[string, 'accept_then_reset' | 'accept_then_malformed']>([
      ['the connection is reset', 'accept_then_reset'],
      ['Meta answers 200 with an unreadable body', 'accept_then_malformed'],
    ])(
      'should answer 504 SEND_OUTCOME_UNKNOWN when %s, with Meta holding exactly one message',
      async (_label, kind) => {
        sut.simulator.injectFault({ method: 'POST', path: `/${cloud.phoneNumberId}/messages`, kind, times: 1 });
        sut.simulator.clearRequests();
        const to = recipient();

        const response = await send(cloud.phoneNumberId, { to, template: TEMPLATE }).expect(504);

        expect(response.body).toMatchObject({ code: 'SEND_OUTCOME_UNKNOWN', channel: 'CLOUD_API' });
        expect(response.body.detail).toContain('Do not send it again');
        expect(acceptedTo(to)).toHaveLength(1);
        expect(sendPaths()).toEqual([`/${cloud.phoneNumberId}/messages`]);
      },
    );

    it('should leave the WABA and its connection as they were', async () => {
      sut.simulator.injectFault({
        method: 'POST',
        path: `/${cloud.phoneNumberId}/messages`,
        kind: 'accept_then_reset',
        times: 1,
      });

      await send(cloud.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(504);

      const waba = await sut
        .http()
        .get(`/api/v1/wabas/${cloud.wabaId}`)
        .set(...auth())
        .expect(200);
      expect(waba.body).toMatchObject({ status: 'ACTIVE', connection: 'CONNECTED' });
      await send(cloud.phoneNumberId, { to: recipient(), template: TEMPLATE }).expect(202);
    });
  });
});

describe('Marketing template sends with Meta unreachable (e2e)', () => {
  let sut: TestApp;

  afterAll(async () => {
    await sut.close();
  });

  it('should answer 502 META_UNAVAILABLE, saying a resend is safe, when the connection to Meta is refused', async () => {
    sut = await createTestApp();
    const { key } = await sut.createOrganization('Unreachable Co');
    const session = sut.simulator.createSignupSession({ wabaName: 'Unreachable', templates: [TEMPLATE] });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    // Nothing listens on Meta's address any more: every connection is refused before a byte is sent.
    await sut.simulator.stop();

    const response = await sut
      .http()
      .post(`/api/v1/phone-numbers/${session.phoneNumberId}/marketing-messages`)
      .set('Authorization', `Bearer ${key}`)
      .send({ to: '+447700900555', template: TEMPLATE })
      .expect(502);

    expect(response.body.code).toBe('META_UNAVAILABLE');
    expect(response.body.detail).toContain('could not be reached');
    expect(response.body.detail).toContain('again later is safe');
    expect(sut.simulator.sentMessages).toHaveLength(0);
  });
});

import type { SimTemplate } from 'src/meta-simulator/meta-simulator.types';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { recordStatements } from 'test/utils/sql-statements';

interface Connected {
  wabaId: string;
  phoneNumberId: string;
}

type Channel = 'cloud' | 'mmLite';

const POLL_MS = 25;
const POLL_LIMIT = 400;

/** What each WABA has at Meta besides the seeded samples (reservation_confirmation is an APPROVED UTILITY one). */
const TEMPLATES: Array<Partial<SimTemplate> & { name: string }> = [
  { name: 'seasonal_sale_promo', language: 'en_US', category: 'MARKETING' },
  { name: 'flash_sale', language: 'en_US', category: 'MARKETING', status: 'PAUSED' },
  { name: 'autumn_promo', language: 'en_US', category: 'MARKETING' },
  { name: 'winter_promo', language: 'en_US', category: 'MARKETING' },
];

/**
 * A marketing send checks the template in the WABA's stored templates before any Graph call (issue 15,
 * graph-api-2026 §A.3): missing in that language, not APPROVED, or not MARKETING → 422
 * TEMPLATE_NOT_SENDABLE, the same on both channels; Meta's template errors make the service read the
 * templates again, so the next send is refused before Meta.
 */
describe('Sends checked against the stored templates (e2e)', () => {
  let sut: TestApp;
  let key: string;
  const numbers = {} as Record<Channel, Connected>;
  let seq = 0;

  const auth = (): [string, string] => ['Authorization', `Bearer ${key}`];
  const recipient = (): string => `+4477009${String(20_000 + seq++).slice(-5)}`;

  async function connect(wabaName: string): Promise<Connected> {
    const session = sut.simulator.createSignupSession({ wabaName, templates: TEMPLATES });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set(...auth())
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
  }

  function send(channel: Channel, template: { name: string; language: string }) {
    return sut
      .http()
      .post(`/api/v1/phone-numbers/${numbers[channel].phoneNumberId}/marketing-messages`)
      .set(...auth())
      .send({ to: recipient(), template });
  }

  /** The send calls the simulator received (either endpoint). */
  function sendPaths(): string[] {
    return sut.simulator.requests
      .filter((entry) => entry.method === 'POST' && /\/(marketing_)?messages$/.test(entry.path))
      .map((entry) => entry.path);
  }

  const endpointOf = (channel: Channel): string =>
    `/${numbers[channel].phoneNumberId}/${channel === 'mmLite' ? 'marketing_messages' : 'messages'}`;

  /** The stored template, polled until `done` says the webhook was applied (bounded). */
  async function storedTemplate(
    wabaId: string,
    name: string,
    done: (template: Record<string, unknown> | undefined) => boolean,
  ): Promise<Record<string, unknown> | undefined> {
    let template: Record<string, unknown> | undefined;
    for (let attempt = 0; attempt < POLL_LIMIT; attempt++) {
      const response = await sut
        .http()
        .get(`/api/v1/wabas/${wabaId}/templates`)
        .query({ q: name })
        .set(...auth())
        .expect(200);
      template = (response.body.data as Array<Record<string, unknown>>).find((entry) => entry.name === name);
      if (done(template)) {
        return template;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return template;
  }

  beforeAll(async () => {
    sut = await createTestApp();
    key = (await sut.createOrganization('Send Checks Co')).key;
    numbers.cloud = await connect('Checks on Cloud API');
    numbers.mmLite = await connect('Checks on MM Lite');
    await sut.simulator.applyEvent(numbers.mmLite.wabaId, 'MM_LITE_ONBOARDED', { silent: true });
    await sut
      .http()
      .post(`/api/v1/wabas/${numbers.mmLite.wabaId}/mm-lite/refresh`)
      .set(...auth())
      .expect(200);
    await sut
      .http()
      .patch(`/api/v1/phone-numbers/${numbers.mmLite.phoneNumberId}`)
      .set(...auth())
      .send({ sendingChannel: 'MM_LITE' })
      .expect(200);
  });

  afterAll(async () => {
    await sut.close();
  });

  beforeEach(() => {
    sut.simulator.clearRequests();
  });

  describe.each<Channel>(['cloud', 'mmLite'])('through the %s number', (channel) => {
    it('should send an APPROVED MARKETING template through its channel', async () => {
      const response = await send(channel, { name: 'seasonal_sale_promo', language: 'en_US' }).expect(202);

      expect(response.body.channel).toBe(channel === 'mmLite' ? 'MM_LITE' : 'CLOUD_API');
      expect(sendPaths()).toEqual([endpointOf(channel)]);
    });

    it('should refuse a UTILITY template before Meta, naming its category', async () => {
      const response = await send(channel, { name: 'reservation_confirmation', language: 'en_US' }).expect(422);

      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        code: 'TEMPLATE_NOT_SENDABLE',
        reason: 'NOT_MARKETING',
        template: 'reservation_confirmation',
        language: 'en_US',
        templateStatus: 'APPROVED',
        category: 'UTILITY',
        errors: [{ field: 'template.name', message: expect.any(String) }],
      });
      expect(response.body.detail).toContain('is a UTILITY template');
      expect(response.body.detail).toContain('utility and authentication templates are not sent here');
      expect(sendPaths()).toEqual([]);
    });

    it('should refuse a PAUSED template before Meta, saying it is paused', async () => {
      const response = await send(channel, { name: 'flash_sale', language: 'en_US' }).expect(422);

      expect(response.body).toMatchObject({
        code: 'TEMPLATE_NOT_SENDABLE',
        reason: 'NOT_APPROVED',
        templateStatus: 'PAUSED',
        category: 'MARKETING',
      });
      expect(response.body.detail).toContain('is PAUSED');
      expect(sendPaths()).toEqual([]);
    });

    it('should refuse a template the WABA does not have, in any language', async () => {
      const response = await send(channel, { name: 'no_such_promo', language: 'en_US' }).expect(422);

      expect(response.body).toMatchObject({
        code: 'TEMPLATE_NOT_SENDABLE',
        reason: 'MISSING',
        template: 'no_such_promo',
        languages: [],
        errors: [{ field: 'template.name', message: expect.any(String) }],
      });
      expect(sendPaths()).toEqual([]);
    });

    it('should refuse a template in a language it does not exist in, saying which it exists in', async () => {
      const response = await send(channel, { name: 'seasonal_sale_promo', language: 'de' }).expect(422);

      expect(response.body).toMatchObject({
        code: 'TEMPLATE_NOT_SENDABLE',
        reason: 'MISSING',
        language: 'de',
        languages: ['en_US'],
        errors: [{ field: 'template.language', message: expect.any(String) }],
      });
      expect(response.body.detail).toContain('does not exist in de (it exists in en_US)');
      expect(sendPaths()).toEqual([]);
    });
  });

  it('should keep sending through an impending category change and refuse once it completed', async () => {
    const { wabaId } = numbers.mmLite;
    await sut.simulator.applyEvent(wabaId, 'TEMPLATE_CATEGORY_PENDING', {
      templateName: 'autumn_promo',
      category: 'UTILITY',
    });
    const pending = await storedTemplate(wabaId, 'autumn_promo', (entry) => entry?.pendingCategory === 'UTILITY');
    expect(pending).toMatchObject({ category: 'MARKETING', pendingCategory: 'UTILITY' });

    await send('mmLite', { name: 'autumn_promo', language: 'en_US' }).expect(202);
    expect(sendPaths()).toEqual([endpointOf('mmLite')]);

    await sut.simulator.applyEvent(wabaId, 'TEMPLATE_CATEGORY_CHANGED', { templateName: 'autumn_promo' });
    const completed = await storedTemplate(wabaId, 'autumn_promo', (entry) => entry?.category === 'UTILITY');
    expect(completed).toMatchObject({ category: 'UTILITY', pendingCategory: null });
    sut.simulator.clearRequests();

    const refused = await send('mmLite', { name: 'autumn_promo', language: 'en_US' }).expect(422);

    expect(refused.body).toMatchObject({ code: 'TEMPLATE_NOT_SENDABLE', reason: 'NOT_MARKETING', category: 'UTILITY' });
    expect(sendPaths()).toEqual([]);
  });

  it("should read the templates again when Meta's answer shows the table is stale, and refuse the next send before Meta", async () => {
    // Paused at Meta without a webhook: the stored templates still say APPROVED.
    sut.simulator.updateWaba(numbers.cloud.wabaId, { templates: [{ name: 'winter_promo', status: 'PAUSED' }] });

    const first = await send('cloud', { name: 'winter_promo', language: 'en_US' }).expect(422);

    expect(first.body).toMatchObject({ metaCode: 132015, templatesRefreshed: true });
    expect(first.body.detail).toContain("The WABA's templates were read from Meta again");
    expect(sendPaths()).toEqual([endpointOf('cloud')]);
    sut.simulator.clearRequests();

    const next = await send('cloud', { name: 'winter_promo', language: 'en_US' }).expect(422);

    expect(next.body).toMatchObject({
      code: 'TEMPLATE_NOT_SENDABLE',
      reason: 'NOT_APPROVED',
      templateStatus: 'PAUSED',
    });
    expect(sendPaths()).toEqual([]);
  });

  it('should read the templates of a WABA never read before deciding, instead of refusing blindly', async () => {
    const session = sut.simulator.createSignupSession({ wabaName: 'Never read', templates: TEMPLATES });
    // The read on connect fails (a parameter error: not retried), so the table knows nothing yet.
    sut.simulator.injectFault({
      method: 'GET',
      path: `/${session.wabaId}/message_templates`,
      kind: 'meta_error',
      error: { code: 100 },
      times: 1,
    });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set(...auth())
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    const listed = await sut
      .http()
      .get(`/api/v1/wabas/${session.wabaId}/templates`)
      .set(...auth())
      .expect(200);
    expect(listed.body.data).toEqual([]);
    numbers.cloud = { wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
    sut.simulator.clearRequests();

    const refused = await send('cloud', { name: 'reservation_confirmation', language: 'en_US' }).expect(422);

    expect(refused.body).toMatchObject({ code: 'TEMPLATE_NOT_SENDABLE', reason: 'NOT_MARKETING' });
    const paths = sut.simulator.requests.map((entry) => `${entry.method} ${entry.path}`);
    expect(paths.filter((path) => path.endsWith('/message_templates'))).toHaveLength(1);
    expect(sendPaths()).toEqual([]);
    await send('cloud', { name: 'seasonal_sale_promo', language: 'en_US' }).expect(202);
  });

  it('should check a send with three reads of the templates and no transaction, and record it around the call', async () => {
    // Warm: the first request of each statement text pays for what later ones reuse.
    await send('cloud', { name: 'seasonal_sale_promo', language: 'en_US' }).expect(202);
    const templateReads = (texts: string[]) => texts.filter((text) => /waba_template/i.test(text));

    const refused = await recordStatements(() =>
      send('cloud', { name: 'reservation_confirmation', language: 'en_US' }).expect(422),
    );
    const sent = await recordStatements(() =>
      send('cloud', { name: 'seasonal_sale_promo', language: 'en_US' }).expect(202),
    );

    // The WABA (by Meta's ID, with when its templates are due), the template, when they were last read.
    expect(templateReads(refused.texts)).toHaveLength(3);
    expect(templateReads(sent.texts)).toHaveLength(3);
    expect(refused.count(/^begin/i)).toBe(0);
    // The checks hold none; the record of the send takes two short ones, committed before the Graph call
    // (the send UNKNOWN) and after its answer (ACCEPTED), none spanning the call.
    expect(sent.count(/^begin/i)).toBe(2);
  });
});

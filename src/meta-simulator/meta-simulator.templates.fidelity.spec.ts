import { MetaSimulator } from './meta-simulator';
import { SIM_DEMO_IDS } from './meta-simulator.constants';
import {
  graphCall,
  readFixture,
  startWebhookReceiver,
  type GraphCallResult,
  type WebhookReceiver,
} from './meta-simulator.testing';
import type { JsonObject, SimEventParams, SimEventType } from './meta-simulator.types';
import { findTemplate } from './sim-templates';

type Json = unknown;
type Envelope = {
  object: string;
  entry: Array<{ id: string; time: number; changes: Array<{ field: string; value: JsonObject }> }>;
};

const WABA = SIM_DEMO_IDS.wabaId;

/** The key structure of a JSON value: objects become sorted key → shape, arrays the shape of their first item. */
function shape(value: Json): Json {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [shape(value[0])];
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, Json>).sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries.map(([key, item]) => [key, shape(item)]));
  }
  return value === null ? 'null' : typeof value;
}

/**
 * The simulator's templates against graph-api-2026.md §A.1–§A.2 and fixtures/2026: the list edge (default
 * fields, explicit fields, filters, paging, the routing fields, the nested expansion) and the four template
 * webhooks, shaped exactly like Meta's examples (template IDs as JSON numbers).
 */
describe('MetaSimulator templates (fidelity, fixtures/2026)', () => {
  let sut: MetaSimulator;
  let receiver: WebhookReceiver;
  let base: string;
  let token: string;

  const get = (path: string): Promise<GraphCallResult> => graphCall(base, 'GET', path, { token });
  const event = async (type: SimEventType, params: SimEventParams = {}): Promise<Envelope> => {
    await sut.applyEvent(WABA, type, params);
    return JSON.parse(receiver.received[receiver.received.length - 1].body) as Envelope;
  };
  const valueOf = (fixture: string): JsonObject => readFixture<Envelope>(fixture).entry[0].changes[0].value;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sut = new MetaSimulator({ appId: SIM_DEMO_IDS.appId, appSecret: 'fidelity-secret', webhookUrl: receiver.url });
    base = await sut.start();
  });

  afterAll(async () => {
    await sut.stop();
    await receiver.close();
  });

  beforeEach(() => {
    sut.reset();
    token = sut.seedDemo().token;
    receiver.received.length = 0;
  });

  describe('GET /{waba}/message_templates', () => {
    it("should list without fields= the default example's fields, paged with cursors and next", async () => {
      const fixture = readFixture<{ data: Json[]; paging: Json }>('2026/api/waba.message_templates.get.default.json');

      const res = await get(`/v25.0/${WABA}/message_templates?limit=2`);

      expect(res.status).toBe(200);
      const body = res.json as { data: Array<Record<string, Json>>; paging: Record<string, Json> };
      expect(body.data).toHaveLength(2);
      expect(shape(body.paging)).toEqual(shape(fixture.paging));
      const next = await graphCall('', 'GET', body.paging.next as string, { token });
      const rest = (next.json as { data: Array<Record<string, Json>> }).data;
      expect(rest).toHaveLength(1);
      // Field for field as Meta's example, `sub_category` on the marketing template only.
      for (const expected of fixture.data as Array<Record<string, Json>>) {
        const listed = [...body.data, ...rest].find((entry) => entry.category === expected.category);
        expect(Object.keys(listed ?? {}).sort()).toEqual(Object.keys(expected).sort());
      }
    });

    it('should filter by status in lower case and answer only the fields asked, as the filtered example', async () => {
      sut.updateWaba(WABA, { templates: [{ name: 'welcome_template', status: 'PAUSED' }] });
      const fixture = readFixture<{ data: Json[] }>(
        '2026/api/waba.message_templates.get.filtered_status_approved.json',
      );

      const res = await get(`/v25.0/${WABA}/message_templates?fields=name,category,status&status=approved`);

      const data = (res.json as { data: Array<Record<string, Json>> }).data;
      expect(data.map((entry) => entry.name).sort()).toEqual([
        'coupon_expiration_reminder_number_vars',
        'reservation_confirmation',
      ]);
      expect(data.map(shape)).toEqual(fixture.data.map(shape));
      expect(data.find((entry) => entry.name === 'reservation_confirmation')).toEqual(
        fixture.data.find((entry) => (entry as Record<string, Json>).name === 'reservation_confirmation'),
      );
    });

    it('should answer the routing fields as the example after an impending and a completed change', async () => {
      sut.updateWaba(WABA, { templates: [{ name: 'coupon_expiration_reminder_number_vars', category: 'UTILITY' }] });
      await event('TEMPLATE_CATEGORY_CHANGED', { templateName: 'coupon_expiration_reminder_number_vars' });
      await event('TEMPLATE_CATEGORY_PENDING', { templateName: 'welcome_template' });
      const fixture = readFixture<{ data: Array<Record<string, Json>> }>(
        '2026/derived/waba.message_templates.get.routing_fields.json',
      );

      const res = await get(
        `/v25.0/${WABA}/message_templates?fields=id,name,language,status,category,previous_category,correct_category`,
      );

      const byId = (entries: Array<Record<string, Json>>) =>
        [...entries].sort((a, b) => String(a.id).localeCompare(String(b.id)));
      expect(byId((res.json as { data: Array<Record<string, Json>> }).data)).toEqual(byId(fixture.data));
    });

    it('should expand the edge inside fields= of a multi-ID read, with cursors and no next', async () => {
      const res = await get(`/v25.0/?ids=${WABA}&fields=message_templates.limit(2){id,name}`);

      const node = (res.json as Record<string, { message_templates: { data: Json[]; paging: Record<string, Json> } }>)[
        WABA
      ];
      expect(node.message_templates.data).toHaveLength(2);
      expect(Object.keys(node.message_templates.paging)).toEqual(['cursors']);
    });

    it('should read a max price as optimization_spec like the 2026 example, and no longer know bid_spec', async () => {
      const spec = { bid_strategy: 'LOWEST_COST_WITH_BID_CAP', bid_amount: 87000 } as const;
      sut.updateWaba(WABA, { templates: [{ name: 'welcome_template', optimizationSpec: spec }] });
      const fixture = readFixture<Record<string, Json>>('2026/api/template.get.optimization_spec.json');

      const res = await get(`/v25.0/${WABA}/message_templates?fields=optimization_spec`);
      const rows = (res.json as { data: Array<Record<string, Json>> }).data;
      const capped = rows.filter((row) => row.optimization_spec !== undefined);

      expect(capped).toHaveLength(1);
      expect(Object.keys(capped[0]).sort()).toEqual(Object.keys(fixture).sort());
      expect(capped[0].optimization_spec).toEqual(fixture.optimization_spec);
      const old = await get(`/v25.0/${WABA}/message_templates?fields=name,bid_spec`);
      expect((old.json as { error: { code: number } }).error.code).toBe(100);
    });

    it('should refuse a field templates do not have with error 100', async () => {
      const res = await get(`/v25.0/${WABA}/message_templates?fields=name,bid_price`);

      expect(res.status).toBe(400);
      expect((res.json as { error: { code: number } }).error.code).toBe(100);
    });
  });

  describe('template webhooks (fixtures/2026/webhooks)', () => {
    it.each([
      [
        'TEMPLATE_APPROVED',
        { templateName: 'reservation_confirmation' },
        '2026/webhooks/message_template_status_update.approved.json',
      ],
      ['TEMPLATE_REJECTED', {}, '2026/webhooks/message_template_status_update.rejected_invalid_format.json'],
      ['TEMPLATE_PAUSED', {}, '2026/derived/message_template_status_update.paused_first_pause.json'],
      ['TEMPLATE_DISABLED', {}, '2026/derived/message_template_status_update.disabled.json'],
      ['TEMPLATE_CATEGORY_PENDING', {}, '2026/webhooks/template_category_update.impending.json'],
      ['TEMPLATE_CATEGORY_CHANGED', {}, '2026/webhooks/template_category_update.completed.json'],
      ['TEMPLATE_QUALITY_CHANGED', {}, '2026/webhooks/message_template_quality_update.green_to_yellow.json'],
    ] as Array<[SimEventType, SimEventParams, string]>)(
      'should send %s shaped like %s',
      async (type, params, fixture) => {
        const expected = readFixture<Envelope>(fixture);

        const sent = await event(type, params);

        expect(shape(sent)).toEqual(shape(expected));
        expect(sent.entry[0].changes[0].field).toBe(expected.entry[0].changes[0].field);
        expect(typeof sent.entry[0].changes[0].value.message_template_id).toBe('number');
      },
    );

    it('should send an edit with the fixture header and body keys (the rest only when the template has them)', async () => {
      const expected = valueOf('2026/webhooks/message_template_components_update.json');

      const sent = (await event('TEMPLATE_COMPONENTS_CHANGED')).entry[0].changes[0].value;

      for (const key of Object.keys(sent)) {
        expect(Object.keys(expected)).toContain(key);
        expect(shape(sent[key])).toEqual(shape(expected[key]));
      }
    });

    it('should complete an announced change with the announced category, the old one as previous', async () => {
      const impending = (await event('TEMPLATE_CATEGORY_PENDING', { templateName: 'welcome_template' })).entry[0]
        .changes[0].value;
      expect(impending).toMatchObject({ new_category: 'UTILITY', correct_category: 'MARKETING' });

      const completed = (await event('TEMPLATE_CATEGORY_CHANGED', { templateName: 'welcome_template' })).entry[0]
        .changes[0].value;

      expect(completed).toEqual({
        message_template_id: 278077987957091,
        message_template_name: 'welcome_template',
        message_template_language: 'en-US',
        previous_category: 'UTILITY',
        new_category: 'MARKETING',
      });
      expect(findTemplate(sut.getWaba(WABA)!, 'welcome_template')?.category).toBe('MARKETING');
    });

    it('should pause 3 h, then 6 h, then disable a template that keeps getting low quality', async () => {
      const titles: Json[] = [];
      for (let pause = 0; pause < 3; pause++) {
        const value = (await event('TEMPLATE_PAUSED')).entry[0].changes[0].value;
        titles.push((value.other_info as { title?: string } | undefined)?.title ?? value.event);
      }

      expect(titles).toEqual(['FIRST_PAUSE', 'SECOND_PAUSE', 'DISABLED']);
    });
  });

  /**
   * Sends name a template by name and language, as Meta keys them (graph-api-reference §1.5 template errors,
   * §5.7 and graph-api-2026 §A.3.3): another language of the name is 132001 (HTTP 404), a paused one 132015,
   * a disabled one 132016, a non-marketing one on `/marketing_messages` 134100.
   */
  describe('template sends by name and language', () => {
    const send = (edge: string, name: string, language: string): Promise<GraphCallResult> =>
      graphCall(base, 'POST', `/v25.0/${SIM_DEMO_IDS.phoneNumberId}/${edge}`, {
        token,
        body: {
          messaging_product: 'whatsapp',
          to: '447700900123',
          type: 'template',
          template: { name, language: { code: language } },
        },
      });
    const errorOf = (res: GraphCallResult): Record<string, unknown> =>
      (res.json as { error: Record<string, unknown> }).error;

    beforeEach(() => {
      sut.updateWaba(WABA, { marketingMessagesOnboardingStatus: 'ONBOARDED' });
    });

    it('should keep one template per name and language, each with its own status', async () => {
      sut.updateWaba(WABA, {
        templates: [
          { name: 'spring_sale', language: 'en_US', status: 'PAUSED' },
          { name: 'spring_sale', language: 'de' },
        ],
      });

      const german = await send('marketing_messages', 'spring_sale', 'de');
      const english = await send('marketing_messages', 'spring_sale', 'en_US');

      expect(german.status).toBe(200);
      expect(english.status).toBe(400);
      expect(errorOf(english)).toMatchObject({ code: 132015, message: '(#132015) Template is Paused' });
      const listed = (await get(`/v25.0/${WABA}/message_templates?fields=name,language,status&limit=100`)).json as {
        data: Array<{ name: string; language: string; status: string }>;
      };
      expect(listed.data.filter((template) => template.name === 'spring_sale')).toEqual(
        expect.arrayContaining([
          { name: 'spring_sale', language: 'en_US', status: 'PAUSED', id: expect.any(String) },
          { name: 'spring_sale', language: 'de', status: 'APPROVED', id: expect.any(String) },
        ]),
      );
    });

    it('should answer 132001 (HTTP 404) for a name that exists in other languages only', async () => {
      const res = await send('messages', 'reservation_confirmation', 'pt_BR');

      expect(res.status).toBe(404);
      expect(errorOf(res)).toMatchObject({
        code: 132001,
        message: '(#132001) Template name does not exist in the translation',
        error_data: { details: 'template name (reservation_confirmation) does not exist in pt_BR' },
      });
    });

    it('should answer 132016 for a disabled template', async () => {
      sut.updateWaba(WABA, { templates: [{ name: 'welcome_template', status: 'DISABLED' }] });

      const res = await send('messages', 'welcome_template', 'en_US');

      expect(res.status).toBe(400);
      expect(errorOf(res)).toMatchObject({ code: 132016, message: '(#132016) Template is Disabled' });
    });

    it('should answer a utility template on /marketing_messages like the 134100 fixture', async () => {
      const fixture = readFixture<{ error: { message: string; type: string; code: number } }>(
        '2026/derived/error.134100_non_marketing_on_marketing_messages.json',
      );

      const res = await send('marketing_messages', 'reservation_confirmation', 'en_US');

      expect(res.status).toBe(400);
      // The fixture's details are paraphrased (fixtures/2026/README.md): code, message and type are Meta's.
      expect(errorOf(res)).toMatchObject({
        code: fixture.error.code,
        message: fixture.error.message,
        type: fixture.error.type,
      });
    });
  });
});

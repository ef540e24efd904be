import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { useFixtureGraph } from './graph-fixture-server.testing';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import { metaFixturesDir } from 'src/meta-simulator/meta-simulator.testing';

const META_FIXTURES = metaFixturesDir();
const TOKEN = 'EAAfixtureBusinessToken0123456789';
const WABA = '102290129340398';

function fixture(file: string): unknown {
  return JSON.parse(readFileSync(path.join(META_FIXTURES, file), 'utf8'));
}

/**
 * The real GraphApiMetaGateway's template reads against the 2026 fixtures (graph-api-2026.md §A.1) served
 * over HTTP: explicit fields, paging to the end through Meta's own `paging.next` host, the routing fields,
 * the usage headers, and the multi-ID read with the edge expanded.
 */
describe(`${GraphApiMetaGateway.name} (message templates, 2026 fixtures)`, () => {
  const graph = useFixtureGraph();
  const { answer, receivedAt } = graph;
  let sut: GraphApiMetaGateway;
  let origin: string;

  beforeEach(() => {
    ({ sut, origin } = graph);
  });

  it('should list with explicit fields and follow paging.next to the end, each template once', async () => {
    answer(
      `GET /${WABA}/message_templates`,
      { body: fixture('2026/api/waba.message_templates.get.default.json') },
      { body: fixture('2026/api/waba.message_templates.get.filtered_status_approved.json') },
    );

    const templates = await sut.listMessageTemplates(WABA, TOKEN);

    expect(templates).toEqual([
      {
        id: '1387372356726668',
        name: 'reservation_confirmation',
        language: 'en_US',
        status: 'APPROVED',
        category: 'UTILITY',
        previousCategory: null,
        correctCategory: null,
        rejectedReason: null,
        quality: null,
      },
      expect.objectContaining({ id: '1304694804498707', category: 'MARKETING', language: 'en' }),
    ]);
    const [first, second] = receivedAt(`GET /v25.0/${WABA}/message_templates`);
    const query = new URL(first.url, origin).searchParams;
    expect(query.get('fields')?.split(',')).toEqual(
      expect.arrayContaining(['id', 'name', 'language', 'status', 'category', 'previous_category', 'correct_category']),
    );
    expect(query.get('limit')).toBe('100');
    // Meta's `next` names graph.facebook.com; the gateway follows it on its own origin, cursor kept.
    expect(new URL(second.url, origin).searchParams.get('after')).toBe('QVFIUmFmdGVy');
    expect(second.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('should read the routing fields: previous and correct category', async () => {
    answer(`GET /${WABA}/message_templates`, {
      body: fixture('2026/derived/waba.message_templates.get.routing_fields.json'),
    });

    const templates = await sut.listMessageTemplates(WABA, TOKEN);

    expect(
      templates.map(({ name, category, previousCategory, correctCategory }) => [
        name,
        category,
        previousCategory,
        correctCategory,
      ]),
    ).toEqual([
      ['welcome_template', 'UTILITY', null, 'MARKETING'],
      ['coupon_expiration_reminder_number_vars', 'MARKETING', 'UTILITY', 'MARKETING'],
      ['reservation_confirmation', 'UTILITY', null, null],
    ]);
  });

  it('should read quality_score and rejected_reason, and refuse a template ID sent as a number', async () => {
    answer(`GET /${WABA}/message_templates`, {
      body: {
        data: [
          {
            id: '1689556908129835',
            name: 'abandoned_cart',
            language: 'en',
            status: 'REJECTED',
            category: 'MARKETING',
            rejected_reason: 'INVALID_FORMAT',
            quality_score: { score: 'UNKNOWN', date: 1751247548 },
          },
        ],
      },
    });
    expect(await sut.listMessageTemplates(WABA, TOKEN)).toEqual([
      expect.objectContaining({ rejectedReason: 'INVALID_FORMAT', quality: 'UNKNOWN', status: 'REJECTED' }),
    ]);

    answer(`GET /${WABA}/message_templates`, {
      body: { data: [{ id: 1689556908129835, name: 'abandoned_cart', language: 'en', status: 'REJECTED' }] },
    });
    await expect(sut.listMessageTemplates(WABA, TOKEN)).rejects.toBeInstanceOf(MetaGatewayException);
  });

  it("should honour the usage header of a template read: the WABA's calls pause", async () => {
    answer(`GET /${WABA}/message_templates`, {
      body: fixture('2026/api/waba.message_templates.get.filtered_status_approved.json'),
      headers: {
        'X-Business-Use-Case-Usage': JSON.stringify(fixture('derived/header.x-business-use-case-usage.throttled.json')),
      },
    });

    await sut.listMessageTemplates(WABA, TOKEN);

    expect(sut.throttledUntil(WABA)).toBeInstanceOf(Date);
  });

  it('should map an error of any page to the whole list failing', async () => {
    answer(
      `GET /${WABA}/message_templates`,
      { body: fixture('2026/api/waba.message_templates.get.default.json') },
      { status: 400, body: { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } } },
    );

    await expect(sut.listMessageTemplates(WABA, TOKEN)).rejects.toMatchObject({
      code: MetaGatewayErrorCode.AUTH_INVALID,
    });
  });

  it('should read several WABAs in one multi-ID call with the edge expanded, and a full one alone to the end', async () => {
    const full = Array.from({ length: 100 }, (_, index) => ({
      id: String(2000000000000000 + index),
      name: `bulk_${index}`,
      language: 'en_US',
      status: 'APPROVED',
      category: 'UTILITY',
    }));
    answer('GET /', {
      body: {
        '111': {
          id: '111',
          message_templates: fixture('2026/api/waba.message_templates.get.filtered_status_approved.json'),
        },
        '222': { id: '222' },
        '333': { id: '333', message_templates: { data: full, paging: { cursors: { after: 'x' } } } },
      },
    });
    answer('GET /333/message_templates', {
      body: {
        data: [
          ...full,
          { id: '3000000000000000', name: 'last', language: 'en', status: 'PAUSED', category: 'MARKETING' },
        ],
      },
    });

    const result = await sut.readTemplatesOfWabas(['111', '222', '333'], TOKEN);

    expect(result.failed.size).toBe(0);
    expect(result.found.get('111')).toHaveLength(2);
    // No edge in the answer: Graph leaves an empty edge out.
    expect(result.found.get('222')).toEqual([]);
    expect(result.found.get('333')).toHaveLength(101);
    expect(result.calls).toBe(2);
    const [multi] = receivedAt('GET /v25.0/');
    expect(new URL(multi.url, origin).searchParams.get('fields')).toMatch(
      /^message_templates\.limit\(100\)\{id,name,language,status,category,/,
    );
  });
});

import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import { HttpService } from '@nestjs/axios';
import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import axios from 'axios';

import type { AllConfig } from 'config/config.type';
import type { MetaConfig } from 'config/meta.config';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';
import { MetaThrottleRegistry } from './meta-throttle.registry';
import { metaFixturesDir } from 'src/meta-simulator/meta-simulator.testing';

const META_FIXTURES = metaFixturesDir();
const TOKEN = 'EAAfixtureBusinessToken0123456789';
const WABA = '102290129340398';

function fixture(file: string): unknown {
  return JSON.parse(readFileSync(path.join(META_FIXTURES, file), 'utf8'));
}

interface Answer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/**
 * The real GraphApiMetaGateway's template reads against the 2026 fixtures (graph-api-2026.md §A.1) served
 * over HTTP: explicit fields, paging to the end through Meta's own `paging.next` host, the routing fields,
 * the usage headers, and the multi-ID read with the edge expanded.
 */
describe(`${GraphApiMetaGateway.name} (message templates, 2026 fixtures)`, () => {
  let server: Server;
  let origin: string;
  let routes: Map<string, Answer[]>;
  let received: Received[];
  let sut: GraphApiMetaGateway;

  /** Queues answers for `METHOD /path` (path without version and query); the last one repeats. */
  function answer(route: string, ...answers: Answer[]): void {
    routes.set(route, answers);
  }

  function receivedAt(route: string): Received[] {
    return received.filter((request) => `${request.method} ${new URL(request.url, origin).pathname}` === route);
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      received.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers });
      const pathname = new URL(req.url ?? '/', 'http://fixture.local').pathname.replace(/^\/v\d+\.\d+/, '');
      const queue = routes.get(`${req.method} ${pathname}`);
      const next = queue && (queue.length > 1 ? queue.shift() : queue[0]);
      if (!next) {
        res.writeHead(404, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'no fixture' }));
        return;
      }
      const body = typeof next.body === 'string' ? next.body : JSON.stringify(next.body);
      res.writeHead(next.status ?? 200, { 'Content-Type': 'application/json', ...next.headers }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    // Keep test output readable; logging itself is asserted in graph-api-meta-gateway.spec.ts.
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    routes = new Map();
    received = [];
    const meta: MetaConfig = {
      sandbox: false,
      appId: '670843887433847',
      appSecret: 'fixture-app-secret',
      graphApiBaseUrl: origin,
      graphApiVersion: 'v25.0',
      webhookVerifyToken: 'verify',
      systemUserToken: '',
      embeddedSignupConfigId: '',
      webhookCallbackUrl: null,
      requestTimeoutMs: 1000,
      maxRetries: 2,
    };
    const config = { get: () => meta } as unknown as ConfigService<AllConfig, true>;
    const http = new HttpService(axios.create({ baseURL: `${origin}/v25.0`, timeout: meta.requestTimeoutMs }));
    sut = new GraphApiMetaGateway(http, config, new MetaThrottleRegistry());
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

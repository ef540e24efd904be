import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import type { MetaConfig } from 'config/meta.config';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaThrottleRegistry } from './meta-throttle.registry';

/** One answer of the fixture server: a status (200), a body (JSON unless a string) and headers. */
export interface FixtureAnswer {
  status?: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** A request the fixture server received. */
export interface FixtureRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** What a spec drives: the real gateway, pointed at a local server that answers with queued fixtures. */
export interface FixtureGraph {
  /** A new gateway per test, with retries and a 1 s timeout. */
  readonly sut: GraphApiMetaGateway;
  readonly origin: string;
  readonly received: FixtureRequest[];
  /** Queues answers for `METHOD /path` (path without version and query); the last one repeats. */
  answer(route: string, ...answers: FixtureAnswer[]): void;
  /** The requests received at `METHOD /v25.0/path`. */
  receivedAt(route: string): FixtureRequest[];
}

/**
 * Registers the hooks of a spec that runs the real GraphApiMetaGateway over HTTP against Meta's example
 * bodies: a local server started once, answers and received requests reset and a new gateway made before
 * each test. Unanswered routes get a 404 naming no fixture.
 */
export function useFixtureGraph(): FixtureGraph {
  let server: Server;
  let origin = '';
  let routes = new Map<string, FixtureAnswer[]>();
  let received: FixtureRequest[] = [];
  let sut: GraphApiMetaGateway | null = null;

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

  afterEach(async () => {
    jest.restoreAllMocks();
    await sut?.onModuleDestroy();
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
      webhookCallbackUrl: null,
      systemUserToken: '',
      embeddedSignupConfigId: '',
      requestTimeoutMs: 1000,
      maxRetries: 2,
    };
    const config = { get: () => meta } as unknown as ConfigService<AllConfig, true>;
    sut = new GraphApiMetaGateway(config, new MetaThrottleRegistry());
  });

  return {
    get sut() {
      if (!sut) {
        throw new Error('The fixture gateway is made before each test');
      }
      return sut;
    },
    get origin() {
      return origin;
    },
    get received() {
      return received;
    },
    answer(route, ...answers) {
      routes.set(route, answers);
    },
    receivedAt(route) {
      return received.filter((request) => `${request.method} ${new URL(request.url, origin).pathname}` === route);
    },
  };
}

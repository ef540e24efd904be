import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';

import { Logger } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';

import type { MetaConfig } from 'config/meta.config';
import { rejection } from 'test/utils/meta-gateway-harness';

import { GraphApiMetaGateway } from './graph-api-meta-gateway';
import { MetaGateway } from './meta-gateway';
import { META_LIST_PAGE_SIZE, META_MAX_RESPONSE_BYTES } from './meta-gateway.constants';
import { MetaGatewayErrorCode } from './meta-gateway.exception';
import { MetaGatewayModule } from './meta-gateway.module';

const TOKEN = 'EAAboundsTestBusinessToken0123456789';
const MAX_RETRIES = 2;
const PAGED_NUMBERS = 250;

/** A JSON list answer of at least `bytes` bytes: well-formed, only too big. */
function listOfAtLeast(bytes: number): string {
  const entry = '{"id":"100000000000001","display_phone_number":"+1 555-0100"},';
  const count = Math.ceil(bytes / entry.length) + 1;
  return `{"data":[${entry.repeat(count).slice(0, -1)}]}`;
}

/**
 * The gateway against a local HTTP server answering what Meta (or a proxy in front of it) might: bodies
 * over the size cap, declared or not, compressed or not, and a list edge served page by page.
 */
describe(`${GraphApiMetaGateway.name} answer size and paging`, () => {
  let server: Server;
  let moduleRef: TestingModule;
  let sut: MetaGateway;
  const requests: Array<{ path: string; query: URLSearchParams }> = [];
  let logged: string[];

  function answer(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    requests.push({ path: url.pathname, query: url.searchParams });
    const json = (status: number, body: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      response.end(body);
    };
    switch (url.pathname) {
      case '/v25.0/1001/phone_numbers':
        return json(200, listOfAtLeast(META_MAX_RESPONSE_BYTES + 1));
      case '/v25.0/1002/phone_numbers': {
        // A few KB on the wire, far more once inflated: the cap must count what is decompressed.
        const zipped = gzipSync(listOfAtLeast(2 * META_MAX_RESPONSE_BYTES));
        return json(200, zipped as unknown as string, { 'Content-Encoding': 'gzip' });
      }
      case '/v25.0/1003/phone_numbers': {
        // No Content-Length: the cap must hold while streaming.
        response.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        const chunk = listOfAtLeast(256 * 1024);
        let sent = 0;
        const pump = () => {
          while (sent <= META_MAX_RESPONSE_BYTES * 2 && response.write(chunk)) {
            sent += chunk.length;
          }
          if (sent <= META_MAX_RESPONSE_BYTES * 2) {
            response.once('drain', pump);
          } else {
            response.end();
          }
        };
        response.on('error', () => undefined);
        return pump();
      }
      case '/v25.0/1004':
        // A 5xx with an oversized body is refused just the same, and not retried.
        return json(500, listOfAtLeast(META_MAX_RESPONSE_BYTES + 1));
      case '/v25.0/1005/phone_numbers': {
        const limit = Number(url.searchParams.get('limit'));
        const start = Number(url.searchParams.get('after') ?? 0);
        const end = Math.min(PAGED_NUMBERS, start + limit);
        const data = Array.from({ length: end - start }, (_unused, offset) => ({
          id: String(200000000000000 + start + offset),
          display_phone_number: `+1 555-${start + offset}`,
        }));
        const next = new URL(`http://graph.invalid/v25.0/1005/phone_numbers`);
        next.searchParams.set('limit', String(limit));
        next.searchParams.set('after', String(end));
        return json(
          200,
          JSON.stringify({
            data,
            paging: { cursors: { after: String(end) }, ...(end < PAGED_NUMBERS ? { next: next.toString() } : {}) },
          }),
        );
      }
      default:
        return json(404, '{"error":{"message":"Unknown path","type":"OAuthException","code":803}}');
    }
  }

  beforeAll(async () => {
    server = createServer(answer);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const meta: MetaConfig = {
      sandbox: true,
      appId: '634974688087057',
      appSecret: 'bounds-test-app-secret',
      graphApiBaseUrl: `http://127.0.0.1:${port}`,
      graphApiVersion: 'v25.0',
      webhookVerifyToken: 'verify',
      webhookCallbackUrl: null,
      systemUserToken: '',
      embeddedSignupConfigId: '',
      requestTimeoutMs: 5_000,
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
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests.length = 0;
    logged = [];
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((...args: unknown[]) => {
      logged.push(args.map(String).join(' '));
    });
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it.each([
    ['declared by Content-Length', '1001'],
    ['compressed small, too big once inflated', '1002'],
    ['streamed without a length', '1003'],
  ])('should refuse an answer over the cap (%s) as UNKNOWN without retrying it', async (_case, wabaId) => {
    const error = await rejection(sut.listPhoneNumbers(wabaId, TOKEN));

    expect(error.code).toBe(MetaGatewayErrorCode.UNKNOWN);
    expect(error.details.responseTooLarge).toBe(true);
    expect(requests).toHaveLength(1);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(`answer over ${META_MAX_RESPONSE_BYTES} bytes refused`);
    expect(logged[0]).not.toContain(TOKEN);
  });

  it('should refuse an oversized error answer too, instead of retrying the 5xx', async () => {
    const error = await rejection(sut.getWaba('1004', TOKEN));

    expect(error.code).toBe(MetaGatewayErrorCode.UNKNOWN);
    expect(error.details.responseTooLarge).toBe(true);
    expect(requests).toHaveLength(1);
  });

  it('should read a list page by page with an explicit limit, following paging.next on the configured origin', async () => {
    const numbers = await sut.listPhoneNumbers('1005', TOKEN);

    expect(numbers).toHaveLength(PAGED_NUMBERS);
    expect(new Set(numbers.map((number) => number.id)).size).toBe(PAGED_NUMBERS);
    expect(requests.map((request) => request.path)).toEqual(Array(3).fill('/v25.0/1005/phone_numbers'));
    expect(requests.map((request) => request.query.get('limit'))).toEqual(Array(3).fill(String(META_LIST_PAGE_SIZE)));
    expect(requests.map((request) => request.query.get('after'))).toEqual([null, '100', '200']);
  });
});

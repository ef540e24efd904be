import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';

/**
 * Helpers for tests that drive the simulator (its own specs and other modules' e2e tests). Nothing here
 * runs in production code paths.
 */

/** The repository root: the nearest folder above `from` that has a package.json. */
export function findRepoRoot(from: string = __dirname): string {
  let current = from;
  while (!existsSync(join(current, 'package.json'))) {
    const parent = dirname(current);
    if (parent === current) {
      throw new Error(`No package.json above ${from}`);
    }
    current = parent;
  }
  return current;
}

/**
 * Meta's example payloads and OpenAPI subset, kept in the repository so that a clone alone passes the
 * suite (provenance: test/fixtures/meta/PROVENANCE.md).
 */
export function metaFixturesDir(): string {
  return join(findRepoRoot(), 'test', 'fixtures', 'meta');
}

/** Parsed JSON of a file under test/fixtures/meta. */
export function readFixture<T = unknown>(relativePath: string): T {
  return JSON.parse(readFileSync(join(metaFixturesDir(), relativePath), 'utf8')) as T;
}

/**
 * The key structure of a JSON value, to compare with a fixture's: objects become sorted key → shape, arrays the
 * shape of their first item, other values their `typeof`.
 */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.length === 0 ? [] : [shape(value[0])];
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries.map(([key, item]) => [key, shape(item)]));
  }
  return typeof value;
}

/** Answer of {@link graphCall}. */
export interface GraphCallResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/** One HTTP call to the simulator (Graph or control API), JSON in and out. */
export async function graphCall(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; form?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphCallResult> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.token) {
    headers.Authorization = `Bearer ${options.token}`;
  }
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: options.signal });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** A webhook delivery as a callback received it. */
export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local callback that records webhook POSTs and answers `status` (200 by default). */
export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Status answered to the next deliveries. */
  status: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let server: Server | null = null;
  const receiver: WebhookReceiver = {
    url: '',
    received,
    status: 200,
    close: () =>
      new Promise<void>((done) => {
        if (!server) {
          done();
          return;
        }
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', () => done()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/meta`;
  return receiver;
}

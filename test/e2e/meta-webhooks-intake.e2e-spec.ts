import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { Client } from 'pg';

import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One delivery as a client would send it; `body` may differ per path so that neither is a duplicate. */
interface Case {
  label: string;
  body: (path: string) => Buffer;
  headers: (body: Buffer) => Record<string, string>;
  /** Send it once before the answer compared (a redelivery). */
  repeat?: boolean;
}

// Headers that differ between any two answers whatever answered them.
const PER_ANSWER = ['date', 'x-request-id'];
// The routed spelling of the path: Express matches it to the controller's route, with a trailing slash.
const FRONT = '/webhooks/meta';
const ROUTED = '/webhooks/meta/';

/**
 * `POST /webhooks/meta` is answered in front of Express (src/bootstrap/webhook-intake.ts), every other
 * spelling of the path by the framework's route: both must answer every delivery with the same status, body
 * and headers, log the same line and count the same metric.
 */
describe('Meta webhooks intake in front of the framework (e2e)', () => {
  const logFile = join(tmpdir(), `wa-assets-webhook-intake-${process.pid}.log`);
  let sut: TestApp;
  let db: Client;

  const post = (path: string, body: Buffer, headers: Record<string, string>): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const { hostname, port } = new URL(sut.url);
      const request = httpRequest({ hostname, port, path, method: 'POST', headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      });
      request.on('error', reject);
      request.end(body);
    });
  const signed = (body: Buffer): Record<string, string> => ({
    'content-type': 'application/json',
    'x-hub-signature-256': sut.simulator.signWebhook(body.toString('utf8')),
  });
  const delivery = (path: string) =>
    Buffer.from(
      JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: `intake-${path}-${randomUUID()}` }] }),
    );
  /** What must match between the two paths: the path itself (in problems' `instance`) aside. */
  const comparable = (answer: Answer, path: string) => {
    const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !PER_ANSWER.includes(name)));
    let body: unknown = answer.body;
    if (answer.headers['content-type']?.toString().startsWith('application/problem+json')) {
      const problem = JSON.parse(answer.body) as Record<string, unknown>;
      expect(problem.instance).toBe(path);
      delete problem.instance;
      delete headers.etag;
      delete headers['content-length'];
      if (problem.requestId !== undefined) {
        expect(problem.requestId).toBe(answer.headers['x-request-id']);
        problem.requestId = 'the request ID';
      }
      body = problem;
    }
    return { status: answer.status, headers, body };
  };

  const cases: Case[] = [
    { label: 'a new signed delivery', body: delivery, headers: signed },
    { label: 'a redelivery', body: delivery, headers: signed, repeat: true },
    {
      label: 'signed bytes that are not JSON (parked)',
      body: (path) => Buffer.from(`not json ${path}`),
      headers: signed,
    },
    { label: 'no signature', body: delivery, headers: () => ({ 'content-type': 'application/json' }) },
    {
      label: 'a signature of other bytes',
      body: delivery,
      headers: () => signed(Buffer.from('{}')),
    },
    { label: 'text/plain', body: delivery, headers: (body) => ({ ...signed(body), 'content-type': 'text/plain' }) },
    {
      label: 'UTF-16',
      body: delivery,
      headers: (body) => ({ ...signed(body), 'content-type': 'application/json; charset=utf-16' }),
    },
    {
      label: 'gzip',
      body: (path) => gzipSync(delivery(path)),
      headers: (body) => ({ ...signed(body), 'content-encoding': 'gzip' }),
    },
    {
      label: 'stacked codings',
      body: delivery,
      headers: (body) => ({ ...signed(body), 'content-encoding': 'br, br' }),
    },
    {
      label: 'a declared length over the cap',
      body: () => Buffer.alloc(0),
      headers: (body) => ({ ...signed(body), 'content-length': String(4 * 1024 * 1024) }),
    },
  ];

  beforeAll(async () => {
    rmSync(logFile, { force: true });
    sut = await createTestApp({ env: { LOG_LEVEL: 'info', LOG_FILE: logFile } });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
    if (existsSync(logFile)) {
      rmSync(logFile);
    }
  });

  it.each(cases)('should answer $label as the framework route does', async ({ body, headers, repeat }) => {
    const answers: Array<{ path: string; answer: Answer }> = [];
    for (const path of [FRONT, ROUTED]) {
      const bytes = body(path);
      if (repeat) {
        await post(path, bytes, headers(bytes));
      }
      answers.push({ path, answer: await post(path, bytes, headers(bytes)) });
    }
    const [front, routed] = answers.map(({ path, answer }) => comparable(answer, path));
    expect(front).toEqual(routed);
  });

  it('should store a delivery before its 200, and answer a redelivery as a duplicate', async () => {
    const body = delivery(FRONT);

    const first = await post(FRONT, body, signed(body));
    const stored = await db.query('SELECT count(*)::int AS n FROM webhook_inbox WHERE payload = $1::jsonb', [
      body.toString(),
    ]);
    const second = await post(FRONT, body, signed(body));

    expect([first.status, JSON.parse(first.body)]).toEqual([200, { received: true, duplicate: false }]);
    expect(stored.rows[0].n).toBe(1);
    expect([second.status, JSON.parse(second.body)]).toEqual([200, { received: true, duplicate: true }]);
  });

  it('should answer 503 with the request ID when the delivery cannot be stored, and log one line for it', async () => {
    await db.query(`
      CREATE FUNCTION refuse_intake() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'refused by the test';
      END $$`);
    await db.query(
      'CREATE TRIGGER refuse BEFORE INSERT ON webhook_inbox FOR EACH ROW EXECUTE FUNCTION refuse_intake()',
    );
    try {
      const answers: Array<{ path: string; answer: Answer }> = [];
      for (const path of [FRONT, ROUTED]) {
        const bytes = delivery(path);
        answers.push({ path, answer: await post(path, bytes, signed(bytes)) });
      }
      const [front, routed] = answers.map(({ path, answer }) => comparable(answer, path));

      expect(front.status).toBe(503);
      expect(front).toEqual(routed);
      const requestId = String(answers[0].answer.headers['x-request-id']);
      const isItsLine = (line: string) => line.includes(requestId) && line.includes('"statusCode"');
      const lines = await waitFor(
        () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean),
        (current) => current.some(isItsLine),
      );
      const own = lines.filter((line) => line.includes(requestId)).map((line) => JSON.parse(line) as object);
      expect(own).toContainEqual(
        expect.objectContaining({ level: 50, reqId: requestId, method: 'POST', route: FRONT, statusCode: 503 }),
      );
      // The service's own line about the failure carries the request's ID too.
      expect(own).toContainEqual(
        expect.objectContaining({ level: 50, reqId: requestId, context: 'MetaWebhooksService' }),
      );
    } finally {
      await db.query('DROP TRIGGER refuse ON webhook_inbox');
    }
  });

  it('should count deliveries answered in front of the framework under the route', async () => {
    const count = async () => {
      const text = (await sut.http().get('/metrics').expect(200)).text;
      const line = text
        .split('\n')
        .find(
          (entry) =>
            entry.startsWith('http_request_duration_seconds_count{') &&
            entry.includes('method="POST"') &&
            entry.includes(`route="${FRONT}"`) &&
            entry.includes('status="401"'),
        );
      return Number(line?.split(' ').pop() ?? 0);
    };
    const before = await count();

    await post(FRONT, delivery(FRONT), { 'content-type': 'application/json' });

    expect(await count()).toBe(before + 1);
  });
});

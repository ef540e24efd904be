import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';

import { createTestApp, TEST_APP_SECRET, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

type InboxRow = { status: string; last_error: string | null; payload: unknown; raw_size: number | null };

/** Meta documents deliveries of up to 3 MB; the receiver's cap sits a little above. */
const OVER_THE_CAP_BYTES = 8 * 1024 * 1024;

const sign = (body: Buffer) => `sha256=${createHmac('sha256', TEST_APP_SECRET).update(body).digest('hex')}`;
const sha256 = (body: Buffer) => createHash('sha256').update(body).digest('hex');

/** One POST with exact bytes and headers; resolves with the status and body (or 0 on a dropped socket). */
function post(
  url: string,
  body: Buffer | null,
  headers: Record<string, string>,
  options: { sendBody?: boolean; timeoutMs?: number } = {},
): Promise<{ status: number; text: string; ms: number }> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const target = new URL(`${url}/webhooks/meta`);
    const req = httpRequest(
      {
        method: 'POST',
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        headers: { 'Content-Type': 'application/json', ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString(),
            ms: Date.now() - startedAt,
          }),
        );
        response.on('error', () => resolve({ status: response.statusCode ?? 0, text: '', ms: Date.now() - startedAt }));
      },
    );
    req.setTimeout(options.timeoutMs ?? 5_000, () => {
      req.destroy();
      resolve({ status: 0, text: 'timeout', ms: Date.now() - startedAt });
    });
    // The service may close the connection of a body it refused unread (EPIPE/ECONNRESET before the answer
    // arrives): that is a refusal too, reported as status 0, never a request left hanging.
    req.on('error', () => resolve({ status: 0, text: 'connection closed', ms: Date.now() - startedAt }));
    if (options.sendBody === false) {
      // Headers only: a receiver that waits for the body before refusing never answers.
      req.flushHeaders();
      return;
    }
    req.end(body ?? undefined);
  });
}

describe('Meta webhooks: hostile signed and unsigned bytes (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let logDir: string;
  let logFile: string;
  let key: string;
  let wabaId: string;

  const inboxRow = async (body: Buffer): Promise<InboxRow | null> => {
    const result = await db.query<InboxRow>(
      `SELECT status, last_error, payload, octet_length(raw_body) AS raw_size
         FROM webhook_inbox WHERE payload_sha256 = $1`,
      [sha256(body)],
    );
    return result.rows[0] ?? null;
  };
  const inboxCount = async () => Number((await db.query('SELECT count(*)::int AS n FROM webhook_inbox')).rows[0].n);
  const envelope = (value: Record<string, unknown>, time = Math.floor(Date.now() / 1000)) =>
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: wabaId, time, changes: [{ field: 'account_update', value }] }],
    });
  const waba = async () =>
    (await sut.http().get(`/api/v1/wabas/${wabaId}`).set('Authorization', `Bearer ${key}`).expect(200)).body as Record<
      string,
      unknown
    >;

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'webhook-logs-'));
    logFile = join(logDir, 'service.log');
    sut = await createTestApp({ env: { LOG_LEVEL: 'debug', LOG_FILE: logFile } });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    key = (await sut.createOrganization('Hostile')).key;
    const session = sut.simulator.createSignupSession();
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    wabaId = session.wabaId;
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
    rmSync(logDir, { recursive: true, force: true });
  });

  describe('signed but unprocessable bytes are acknowledged and parked, never a 500', () => {
    const padding = 'p'.repeat(64 * 1024);
    const cases: Array<[string, () => Buffer, string]> = [
      [
        'UTF-16 with a byte order mark',
        () => Buffer.from(`\ufeff${envelope({ event: 'ACCOUNT_VIOLATION', padding })}`, 'utf16le'),
        'NOT_UTF8',
      ],
      [
        'a \\u0000 escape',
        () => Buffer.from(envelope({ event: 'ACCOUNT_VIOLATION', note: 'x', padding }).replace('"x"', '"a\\u0000b"')),
        'NUL_CHARACTER',
      ],
      [
        'a lone surrogate escape',
        () => Buffer.from(envelope({ event: 'ACCOUNT_VIOLATION', note: 'x', padding }).replace('"x"', '"\\ud800"')),
        'LONE_SURROGATE',
      ],
      ['200,000-deep nesting', () => Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`), 'TOO_DEEP'],
      ['bytes that are not JSON', () => Buffer.from(`{"entry": [${padding}`), 'INVALID_JSON'],
      ['a JSON array', () => Buffer.from(`[${envelope({ event: 'ACCOUNT_VIOLATION', padding })}]`), 'NOT_AN_OBJECT'],
    ];

    it.each(cases)('should answer 200 and park %s as UNPROCESSABLE with its reason', async (_case, build, reason) => {
      const body = build();
      const response = await post(sut.url, body, { 'X-Hub-Signature-256': sign(body) });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.text)).toEqual({ received: true, duplicate: false });
      const row = await inboxRow(body);
      expect(row).toMatchObject({ status: 'UNPROCESSABLE', last_error: reason, payload: null, raw_size: body.length });

      // Meta's redelivery of the same bytes is a duplicate of the parked row, not a new one.
      const again = await post(sut.url, body, { 'X-Hub-Signature-256': sign(body) });
      expect(JSON.parse(again.text)).toEqual({ received: true, duplicate: true });
    });

    it('should process a signed UTF-8 delivery that starts with a byte order mark', async () => {
      const body = Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from(envelope({ event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE' } })),
      ]);
      const response = await post(sut.url, body, { 'X-Hub-Signature-256': sign(body) });
      expect(response.status).toBe(200);
      const row = await waitFor(
        () => inboxRow(body),
        (value) => value?.status === 'DONE',
      );
      expect(row?.status).toBe('DONE');
      expect(await waba()).toMatchObject({ status: 'DISABLED', statusReason: 'BANNED' });
    });

    it('should park only the delivery PostgreSQL refuses (NOT_STORABLE) among concurrent ones, storing the others', async () => {
      // Concurrent deliveries share one INSERT; PostgreSQL refuses the whole statement for one bad value.
      const time = Math.floor(Date.now() / 1000);
      const about = (id: string, seq: number) =>
        Buffer.from(
          JSON.stringify({
            object: 'whatsapp_business_account',
            entry: [{ id, time, changes: [{ field: 'account_update', value: { event: 'ACCOUNT_VIOLATION', seq } }] }],
          }),
        );
      // Valid JSON (JSON.parse reads it as Infinity) that jsonb refuses: the number overflows numeric.
      const refused = Buffer.from(
        JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [{ id: '990000000000001', time, changes: [{ field: 'account_update', value: { seq: 'x' } }] }],
        }).replace('"x"', '1e1000000'),
      );
      const others = Array.from({ length: 6 }, (_, seq) => about(`99000000000010${seq}`, seq));

      const responses = await Promise.all(
        [refused, ...others].map((body) => post(sut.url, body, { 'X-Hub-Signature-256': sign(body) })),
      );
      expect(responses.map((response) => [response.status, JSON.parse(response.text)])).toEqual(
        Array.from({ length: 7 }, () => [200, { received: true, duplicate: false }]),
      );
      expect(await inboxRow(refused)).toMatchObject({
        status: 'UNPROCESSABLE',
        last_error: 'NOT_STORABLE',
        payload: null,
        raw_size: refused.length,
      });
      for (const body of others) {
        const row = await inboxRow(body);
        expect(row?.status).not.toBe('UNPROCESSABLE');
        expect(row?.payload).toEqual(JSON.parse(body.toString()));
      }

      // Redeliveries, concurrent again, are duplicates of what was stored and parked.
      const again = await Promise.all(
        [refused, ...others].map((body) => post(sut.url, body, { 'X-Hub-Signature-256': sign(body) })),
      );
      expect(again.map((response) => JSON.parse(response.text))).toEqual(
        Array.from({ length: 7 }, () => ({ received: true, duplicate: true })),
      );
    });

    it('should count parked deliveries in /metrics', async () => {
      const metrics = await sut.http().get('/metrics').expect(200);
      const line = metrics.text.split('\n').find((entry) => entry.startsWith('webhook_inbox_unprocessable '));
      expect(Number(line?.split(' ')[1])).toBeGreaterThanOrEqual(cases.length);
    });

    it('should never write a payload into the log (size and reason only)', () => {
      const lines = readFileSync(logFile, 'utf8').split('\n');
      expect(lines.length).toBeGreaterThan(10);
      expect(lines.filter((line) => line.includes('pppppppppppppppp') || line.includes('[[[[[[[['))).toEqual([]);
      expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(8 * 1024);
    });
  });

  describe('unauthenticated work stays small', () => {
    it('should check the signature before parsing: bad-signature non-JSON is a 401, not a parse error', async () => {
      const body = Buffer.from('{"this is": not json');
      const response = await post(sut.url, body, { 'X-Hub-Signature-256': `sha256=${'ab'.repeat(32)}` });
      expect(response.status).toBe(401);
      expect(JSON.parse(response.text)).toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('should refuse an unsigned body before reading it', async () => {
      const before = await inboxCount();
      const response = await post(sut.url, null, { 'Content-Length': String(3 * 1024 * 1024) }, { sendBody: false });
      expect(response.status).toBe(401);
      expect(JSON.parse(response.text)).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(response.ms).toBeLessThan(2_000);
      expect(await inboxCount()).toBe(before);
    });

    it('should refuse a malformed signature header before reading the body', async () => {
      const response = await post(
        sut.url,
        null,
        { 'Content-Length': String(3 * 1024 * 1024), 'X-Hub-Signature-256': 'sha1=abc' },
        { sendBody: false },
      );
      expect(response.status).toBe(401);
    });

    it('should refuse a declared body over the cap with 413 before reading it', async () => {
      const response = await post(
        sut.url,
        null,
        { 'Content-Length': String(OVER_THE_CAP_BYTES), 'X-Hub-Signature-256': `sha256=${'0'.repeat(64)}` },
        { sendBody: false },
      );
      expect(response.status).toBe(413);
      expect(JSON.parse(response.text)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    });

    it('should refuse a chunked body that grows over the cap with 413', async () => {
      const body = Buffer.alloc(OVER_THE_CAP_BYTES, 0x20);
      const response = await post(sut.url, body, {
        'Transfer-Encoding': 'chunked',
        'X-Hub-Signature-256': sign(body),
      });
      expect([413, 0]).toContain(response.status);
      expect(await inboxRow(body)).toBeNull();
    });
  });
});

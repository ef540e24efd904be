import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';

import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

// No log line may come near this: the bound of a message is 2,000 characters, of an error's 300.
const MAX_LINE_CHARS = 8_000;

describe('Error logs (e2e)', () => {
  const logFile = join(tmpdir(), `wa-assets-error-logs-${process.pid}.log`);
  let sut: TestApp;
  let key: string;
  let db: Client;

  const logLines = (): string[] => readFileSync(logFile, 'utf8').split('\n').filter(Boolean);

  beforeAll(async () => {
    rmSync(logFile, { force: true });
    sut = await createTestApp({ env: { LOG_LEVEL: 'debug', LOG_FILE: logFile } });
    key = (await sut.createOrganization('Logs')).key;
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    // A failure that quotes the whole row in PostgreSQL's own message and detail, as a failing CHECK or a
    // bad cast do with the offending value, and one that quotes nothing (the SQL is then the only copy).
    await db.query(`
      CREATE FUNCTION refuse_quoting() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'refused %', NEW::text USING DETAIL = 'Failing row contains ' || NEW::text;
      END $$`);
    await db.query(`
      CREATE FUNCTION refuse_plainly() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'refused by the test';
      END $$`);
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
    if (existsSync(logFile)) {
      rmSync(logFile);
    }
  });

  it('should log a failed insert of a 3 MB payload without the SQL, the payload or the body', async () => {
    await db.query(
      'CREATE TRIGGER refuse BEFORE INSERT ON webhook_inbox FOR EACH ROW EXECUTE FUNCTION refuse_quoting()',
    );
    // Past the first kilobyte: a bounded message may quote the start of a value, never all of it.
    const marker = 'HOSTILE-PAYLOAD-MARKER';
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [],
      padding: `${'x'.repeat(1024)}${marker}${'x'.repeat(3 * 1024 * 1024)}`,
    });

    const response = await fetch(`${sut.url}/webhooks/meta`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': sut.simulator.signWebhook(body) },
      body,
    });
    await response.text();

    // pino-http's line for the request comes last, once the answer is written.
    const requestId = response.headers.get('x-request-id') ?? 'none';
    const lines = await waitFor(logLines, (current) =>
      current.some((line) => line.includes(requestId) && line.includes('"statusCode"')),
    );
    expect(lines.some((line) => line.includes(requestId) && line.includes('"statusCode"'))).toBe(true);
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(MAX_LINE_CHARS);
    expect(lines.filter((line) => line.includes(marker)).map((line) => line.slice(0, 300))).toEqual([]);
    expect(lines.filter((line) => /insert into/i.test(line)).map((line) => line.slice(0, 300))).toEqual([]);
  });

  it('should log a failed insert of an API key by class and SQLSTATE, without the key name it carried', async () => {
    await db.query('CREATE TRIGGER refuse BEFORE INSERT ON api_keys FOR EACH ROW EXECUTE FUNCTION refuse_plainly()');
    const marker = 'KEY-NAME-MARKER';

    const response = await fetch(`${sut.url}/api/v1/organization/api-keys`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: `${marker}${'k'.repeat(80)}` }),
    });

    expect(response.status).toBe(500);
    const problem = (await response.json()) as { requestId: string; detail: string };
    expect(problem.detail).not.toContain(marker);
    const isTheError = (line: string) => line.includes(problem.requestId) && line.includes('Unhandled error');
    const lines = await waitFor(logLines, (current) => current.some(isTheError));
    expect(JSON.parse(lines.find(isTheError) ?? '{}')).toMatchObject({
      err: { type: expect.stringMatching(/Exception$/), code: 'P0001', message: 'refused by the test' },
    });
    expect(lines.filter((line) => line.includes(marker)).map((line) => line.slice(0, 300))).toEqual([]);
    expect(lines.filter((line) => /insert into/i.test(line)).map((line) => line.slice(0, 300))).toEqual([]);
  });
});

import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

// Written by Node on every answer, or different on every answer.
const VARYING = new Set(['date', 'connection', 'keep-alive', 'x-request-id']);

/** An answer's status, body and headers, the varying ones left out. */
async function answerOf(
  response: Response,
): Promise<{ status: number; body: string; headers: Record<string, string> }> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!VARYING.has(name)) {
      headers[name] = value;
    }
  });
  return { status: response.status, body: await response.text(), headers };
}

describe('Request logs and the liveness probe (e2e)', () => {
  const logFile = join(tmpdir(), `wa-assets-request-logs-${process.pid}.log`);
  let sut: TestApp;
  let key: string;

  const logLines = (): Array<Record<string, unknown>> =>
    readFileSync(logFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  beforeAll(async () => {
    rmSync(logFile, { force: true });
    sut = await createTestApp({ env: { LOG_LEVEL: 'info', LOG_FILE: logFile } });
    key = (await sut.createOrganization('Logs')).key;
  });

  afterAll(async () => {
    await sut.close();
    if (existsSync(logFile)) {
      rmSync(logFile);
    }
  });

  it('should answer the liveness probe in front of the framework with the bytes of its route', async () => {
    // With a query the probe goes through Express and the HealthController, as every probe did before.
    const viaRoute = await answerOf(await fetch(`${sut.url}/health/live?through=route`));
    const direct = await fetch(`${sut.url}/health/live`, { headers: { 'X-Request-Id': 'probe-1' } });

    expect(direct.headers.get('x-request-id')).toBe('probe-1');
    expect(await answerOf(direct)).toEqual(viaRoute);
    expect(viaRoute).toMatchObject({ status: 200, body: '{"status":"ok"}' });
    expect(viaRoute.headers).toMatchObject({ 'x-content-type-options': 'nosniff', etag: expect.any(String) });
    const head = await fetch(`${sut.url}/health/live`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await head.text()).toBe('');
  });

  it('should log one compact line per request, with its route and request ID, and no health probe at info', async () => {
    await fetch(`${sut.url}/health/live`);
    await fetch(`${sut.url}/health/ready`);
    const response = await fetch(`${sut.url}/api/v1/wabas/102290129340398?secret=do-not-log`, {
      headers: { Authorization: `Bearer ${key}`, 'X-Request-Id': 'detail-1', 'User-Agent': 'agent-not-logged' },
    });
    expect(response.status).toBe(404);
    await response.text();

    const lines = await waitFor(logLines, (current) => current.some((line) => line.reqId === 'detail-1'));
    const line = lines.find((entry) => entry.reqId === 'detail-1');
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: expect.any(Number),
      hostname: expect.any(String),
      reqId: 'detail-1',
      method: 'GET',
      route: '/api/v1/wabas/:wabaId',
      statusCode: 404,
      durationMs: expect.any(Number),
      msg: 'request completed',
    });
    const text = readFileSync(logFile, 'utf8');
    expect(text).not.toContain('agent-not-logged');
    expect(text).not.toContain('do-not-log');
    expect(text).not.toContain(key);
    expect(lines.filter((entry) => typeof entry.route === 'string' && entry.route.startsWith('/health'))).toEqual([]);
  });
});

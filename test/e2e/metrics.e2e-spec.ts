import { createHash, randomUUID } from 'node:crypto';

import { Client } from 'pg';

import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

/** Value of one series of the exposition (labels as written, in any order), or null when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) {
      continue;
    }
    const labelPart = line.startsWith(`${name}{`) ? line.slice(name.length + 1, line.lastIndexOf('} ')) : '';
    const present = labelPart === '' ? [] : labelPart.split(/,(?=[a-z_]+=")/);
    if (wanted.every((label) => present.includes(label))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return null;
}

describe('Metrics (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let key: string;

  const scrape = async (): Promise<string> => {
    const response = await sut.http().get('/metrics').expect(200);
    return response.text;
  };
  const connect = async (): Promise<{ wabaId: string; phoneNumberId: string }> => {
    const session = sut.simulator.createSignupSession();
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return session;
  };

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    key = (await sut.createOrganization('Metrics')).key;
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  beforeEach(() => {
    sut.simulator.clearFaults();
  });

  it('should serve the Prometheus text format without authentication or rate limiting', async () => {
    const response = await sut.http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(response.text).toContain('# TYPE process_resident_memory_bytes gauge');
  });

  it('should label request latencies with the route template, never the raw URL', async () => {
    const missing = '987654321012345';
    await sut.http().get(`/api/v1/wabas/${missing}`).set('Authorization', `Bearer ${key}`).expect(404);
    await sut.http().get('/api/v1/wabas').set('Authorization', `Bearer ${key}`).expect(200);
    await sut.http().get('/api/v1/no-such-route').set('Authorization', `Bearer ${key}`).expect(404);

    const text = await scrape();
    expect(
      sample(text, 'http_request_duration_seconds_count', {
        method: 'GET',
        route: '/api/v1/wabas/:wabaId',
        status: '404',
      }),
    ).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/wabas', status: '200' }),
    ).toBe(1);
    expect(
      sample(text, 'http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status: '404' }),
    ).toBe(1);
    expect(text).not.toContain(missing);
    expect(text).not.toContain('no-such-route');
  });

  it('should count Graph calls by endpoint template and error class, and throttling back-offs', async () => {
    const connected = await connect();
    const sync = () => sut.http().post(`/api/v1/wabas/${connected.wabaId}/sync`).set('Authorization', `Bearer ${key}`);
    sut.simulator.injectFault({ path: `/${connected.wabaId}/phone_numbers`, kind: 'http500', times: 1 });
    await sync();
    sut.simulator.clearFaults();
    sut.simulator.injectFault({ path: `/${connected.wabaId}/phone_numbers`, kind: 'waba_throttle', times: 1 });
    await sync();

    const text = await scrape();
    expect(
      sample(text, 'meta_graph_calls_total', { method: 'GET', endpoint: '/oauth/access_token', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'meta_graph_calls_total', { method: 'GET', endpoint: '/debug_token', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'meta_graph_calls_total', { method: 'GET', endpoint: '/{id}/phone_numbers', outcome: 'TRANSIENT' }),
    ).toBe(1);
    expect(
      sample(text, 'meta_graph_calls_total', {
        method: 'GET',
        endpoint: '/{id}/phone_numbers',
        outcome: 'RATE_LIMITED',
      }),
    ).toBe(1);
    expect(sample(text, 'meta_throttle_backoffs_total', { kind: 'object', reason: 'RATE_LIMITED' })).toBe(1);
    expect(
      sample(text, 'meta_graph_call_duration_seconds_count', { endpoint: '/{id}', outcome: 'ok' }),
    ).toBeGreaterThan(0);
    expect(text).not.toContain(connected.wabaId);
  });

  it('should record the duration and outcome of a sync round', async () => {
    await connect();
    await sut.http().post('/api/v1/admin/sync-rounds').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200);

    const text = await scrape();
    expect(sample(text, 'sync_round_duration_seconds_count', { outcome: 'completed' })).toBe(1);
    expect(sample(text, 'sync_round_wabas_total', { outcome: 'succeeded' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'sync_round_meta_calls_total')).toBeGreaterThanOrEqual(1);
  });

  it('should report the inbox depth and the age of its oldest unprocessed delivery', async () => {
    const drained = await scrape();
    expect(sample(drained, 'webhook_inbox_scrape_success')).toBe(1);
    expect(sample(drained, 'webhook_inbox_lag_seconds')).toBe(0);

    // A delivery stored two minutes ago whose retry is not due yet: it stays PENDING during the scrape.
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [], id: randomUUID() });
    const sha256 = createHash('sha256').update(body).digest('hex');
    await db.query(
      `INSERT INTO webhook_inbox (id, created_at, payload_sha256, ordering_key, payload, status, attempts,
                                  next_attempt_at)
       VALUES ($1, now() - interval '120 seconds', $2, $3, $4::jsonb, 'PENDING', 1, now() + interval '1 hour')`,
      [randomUUID(), sha256, `delivery:${sha256}`, body],
    );

    const text = await scrape();
    expect(sample(text, 'webhook_inbox_depth', { status: 'PENDING' })).toBe(1);
    expect(sample(text, 'webhook_inbox_depth', { status: 'PROCESSING' })).toBe(0);
    expect(sample(text, 'webhook_inbox_lag_seconds')).toBeGreaterThanOrEqual(120);
  });
});

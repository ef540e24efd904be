import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from 'pg';

import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

describe('Organizations and API keys (e2e)', () => {
  const logFile = join(tmpdir(), `wa-assets-org-e2e-${process.pid}.log`);
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ env: { LOG_LEVEL: 'debug', LOG_FILE: logFile } });
  });

  afterAll(async () => {
    await sut.close();
  });

  it('should create an organization with the admin token and show its key once', async () => {
    const created = await sut
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .send({ name: 'Acme Corp' })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      name: 'Acme Corp',
      createdAt: expect.any(String),
      apiKey: {
        id: expect.any(String),
        key: expect.stringMatching(/^waak_[A-Za-z0-9_-]{43}$/),
        createdAt: expect.any(String),
      },
    });
    const key = created.body.apiKey.key as string;

    const me = await sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${key}`).expect(200);
    expect(me.body).toEqual({ id: created.body.id, name: 'Acme Corp', createdAt: created.body.createdAt });

    const keys = await sut
      .http()
      .get('/api/v1/organization/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    expect(keys.body.data).toHaveLength(1);
    expect(keys.body.data[0]).toEqual({
      id: created.body.apiKey.id,
      name: 'default',
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
    });
    expect(JSON.stringify(keys.body)).not.toContain(key);
  });

  it('should refuse organization creation with an API key instead of the admin token', async () => {
    const { key } = await sut.createOrganization('Other');
    const response = await sut
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${key}`)
      .send({ name: 'X' })
      .expect(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    ['no header', undefined],
    ['a non-bearer scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
    ['an unknown key', 'Bearer waak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a key without the prefix', 'Bearer something-else'],
    ['the admin token on a key route', `Bearer ${TEST_ADMIN_TOKEN}`],
  ])('should answer 401 for %s', async (_case, header) => {
    const call = sut.http().get('/api/v1/organization');
    if (header !== undefined) {
      call.set('Authorization', header);
    }
    const response = await call.expect(401);
    expect(response.body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', title: 'Unauthenticated' });
  });

  it('should revoke a key so that it fails with 401 at once, while other keys keep working', async () => {
    const { key } = await sut.createOrganization('Revokers');
    const second = await sut
      .http()
      .post('/api/v1/organization/api-keys')
      .set('Authorization', `Bearer ${key}`)
      .send({ name: 'ci' })
      .expect(201);
    expect(second.body).toEqual({
      id: expect.any(String),
      key: expect.stringMatching(/^waak_/),
      name: 'ci',
      createdAt: expect.any(String),
      lastUsedAt: null,
    });

    await sut
      .http()
      .delete(`/api/v1/organization/api-keys/${second.body.id}`)
      .set('Authorization', `Bearer ${key}`)
      .expect(204);
    await sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${second.body.key}`).expect(401);
    await sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${key}`).expect(200);
    await sut
      .http()
      .delete(`/api/v1/organization/api-keys/${second.body.id}`)
      .set('Authorization', `Bearer ${key}`)
      .expect(404);
  });

  it("should not let an organization revoke another organization's key", async () => {
    const alice = await sut.createOrganization('Alice');
    const bob = await sut.createOrganization('Bob');
    const bobKeys = await sut
      .http()
      .get('/api/v1/organization/api-keys')
      .set('Authorization', `Bearer ${bob.key}`)
      .expect(200);
    await sut
      .http()
      .delete(`/api/v1/organization/api-keys/${bobKeys.body.data[0].id}`)
      .set('Authorization', `Bearer ${alice.key}`)
      .expect(404);
    await sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${bob.key}`).expect(200);
  });

  it.each([
    [{}, 'name'],
    [{ name: '' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ name: 42 }, 'name'],
    [{ name: 'ok', extra: true }, 'extra'],
  ])('should answer a problem naming the field for body %j', async (body, field) => {
    const response = await sut
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .send(body)
      .expect(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('should answer 400 naming the id for a malformed key id', async () => {
    const { key } = await sut.createOrganization();
    const response = await sut
      .http()
      .delete('/api/v1/organization/api-keys/not-a-uuid')
      .set('Authorization', `Bearer ${key}`)
      .expect(400);
    expect(response.body.errors).toEqual([{ field: 'id', message: 'id must be a UUID' }]);
  });

  it('should answer a problem for an unknown route', async () => {
    const response = await sut.http().get('/api/v1/nothing-here').expect(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('should answer 413 for an oversized body and 400 for broken JSON and 415 for text', async () => {
    const huge = await sut
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ name: 'x'.repeat(200_000) }))
      .expect(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');

    const broken = await sut
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .set('Content-Type', 'application/json')
      .send('{"name": ')
      .expect(400);
    expect(broken.body.code).toBe('MALFORMED_REQUEST');

    const text = await sut
      .http()
      .post('/api/v1/organizations')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .set('Content-Type', 'text/plain')
      .send('name=x')
      .expect(415);
    expect(text.body.errors).toEqual([{ field: 'content-type', message: 'must be application/json' }]);
  });

  it('should send security headers and a request ID', async () => {
    const response = await sut.http().get('/health/live').set('X-Request-Id', 'trace-123').expect(200);
    expect(response.headers['x-request-id']).toBe('trace-123');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });

  it('should answer readiness with the database status', async () => {
    const response = await sut.http().get('/health/ready').expect(200);
    expect(response.body.status).toBe('ok');
  });

  it('should serve the OpenAPI document with bearer auth and every organization route', async () => {
    const response = await sut.http().get('/docs-json').expect(200);
    expect(response.body.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(response.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/organizations',
        '/api/v1/organization',
        '/api/v1/organization/api-keys',
        '/api/v1/organization/api-keys/{id}',
      ]),
    );
    await sut.http().get('/docs').expect(200);
  });

  it('should store no plaintext key and log no key or token', async () => {
    const { key } = await sut.createOrganization('Secretive');
    await sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${key}`).expect(200);
    const client = new Client({ connectionString: sut.databaseUrl });
    await client.connect();
    try {
      const rows = await client.query('SELECT * FROM api_keys');
      expect(JSON.stringify(rows.rows)).not.toContain(key);
      expect(JSON.stringify(rows.rows)).not.toContain(key.slice(12));
    } finally {
      await client.end();
    }
    const logs = readFileSync(logFile, 'utf8');
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(key.slice(5));
    expect(logs).not.toContain(TEST_ADMIN_TOKEN);
  });
});

describe('Public API rate limit (e2e)', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '5' } });
  });

  afterAll(async () => {
    await sut.close();
  });

  it("should answer 429 with Retry-After once the key's organization exceeds its budget", async () => {
    const { key } = await sut.createOrganization();
    const statuses: number[] = [];
    let limited: { headers: Record<string, string>; body: { code: string } } | undefined;
    for (let attempt = 0; attempt < 8; attempt++) {
      const response = await sut.http().get('/api/v1/organization').set('Authorization', `Bearer ${key}`);
      statuses.push(response.status);
      if (response.status === 429) {
        limited = response;
      }
    }
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(limited?.body.code).toBe('RATE_LIMITED');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('API keys per organization (e2e)', () => {
  let sut: TestApp;

  beforeAll(async () => {
    sut = await createTestApp();
  });

  afterAll(async () => {
    await sut?.close();
  });

  const createKey = (key: string) =>
    sut.http().post('/api/v1/organization/api-keys').set('Authorization', `Bearer ${key}`).send({ name: 'ci' });

  it('should refuse a 101st active key with 409 API_KEY_LIMIT_REACHED, and take one again after a revocation', async () => {
    const { key } = await sut.createOrganization('Key hoarder');
    // The organization's first key is one of the 100.
    for (let batch = 0; batch < 99; batch += 11) {
      const responses = await Promise.all(Array.from({ length: 11 }, () => createKey(key)));
      expect(responses.map((response) => response.status)).toEqual(Array<number>(11).fill(201));
    }

    const refused = await createKey(key).expect(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ status: 409, code: 'API_KEY_LIMIT_REACHED', title: 'API key limit reached' });

    const listed = await sut.http().get('/api/v1/organization/api-keys').set('Authorization', `Bearer ${key}`);
    expect(listed.body.data).toHaveLength(100);
    await sut
      .http()
      .delete(`/api/v1/organization/api-keys/${listed.body.data[99].id}`)
      .set('Authorization', `Bearer ${key}`)
      .expect(204);
    // Concurrent creations cannot both take the freed slot.
    const racing = await Promise.all(Array.from({ length: 4 }, () => createKey(key)));
    expect(racing.map((response) => response.status).sort()).toEqual([201, 409, 409, 409]);
  });
});

import { randomBytes } from 'node:crypto';

import { Client } from 'pg';

import { RateLimiter } from 'src/common/rate-limit/rate-limiter';
import { OrganizationsService } from 'src/modules/organizations/organizations.service';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

const REQUESTS_PER_MINUTE = 10;
const AUTH_FAILURES_PER_MINUTE = 5;
const LIMITS = {
  RATE_LIMIT_PER_MINUTE: String(REQUESTS_PER_MINUTE),
  AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES_PER_MINUTE),
};

function badKey(index: number): string {
  return `waak_${String(index).padStart(43, 'x')}`;
}

/**
 * Fresh client addresses per run (Redis outlives test databases and may be shared by parallel runs), each
 * in its own /64, which is how the limiter tells IPv6 clients apart.
 */
function addressFactory(): (host: number) => string {
  const site = randomBytes(4).toString('hex');
  return (host) => `2001:db8:${site.slice(0, 4)}:${site.slice(4, 6)}${host.toString(16).padStart(2, '0')}::1`;
}

const STORES: Array<[string, Record<string, string> | null]> = [
  ['PostgreSQL', {}],
  ['Redis', process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : null],
];

describe.each(STORES)('Public API limits shared by two instances on one database, state in %s (e2e)', (_store, env) => {
  let first: TestApp;
  let second: TestApp;
  let beta: { id: string; key: string };
  const address = addressFactory();
  const operator = address(1);

  /** Alternates between the two instances, as a load balancer would. */
  const instance = (index: number): TestApp => (index % 2 === 0 ? first : second);

  const createOrganization = async (app: TestApp, name: string): Promise<{ id: string; key: string }> => {
    const response = await app
      .http()
      .post('/api/v1/organizations')
      .set('X-Forwarded-For', operator)
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .send({ name })
      .expect(201);
    return { id: response.body.id as string, key: response.body.apiKey.key as string };
  };

  if (env === null) {
    // Redis is optional on a user's machine, but CI has one: there its absence fails instead of passing unseen.
    it('should find Redis (TEST_REDIS_URL) when running in CI', () => {
      expect({ ci: process.env.CI === 'true', redis: false }).toEqual({ ci: false, redis: false });
    });
    return;
  }

  beforeAll(async () => {
    first = await createTestApp({ env: { ...LIMITS, ...env } });
    second = await createTestApp({ databaseUrl: first.databaseUrl, env: { ...LIMITS, ...env } }, first.simulator);
    beta = await createOrganization(first, 'Beta');
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it("should hold an organization's budget across its keys and both instances, and leave other organizations alone", async () => {
    const alpha = await createOrganization(second, 'Alpha');
    // Creating the second key is the first of the organization's requests.
    const created = await first
      .http()
      .post('/api/v1/organization/api-keys')
      .set('Authorization', `Bearer ${alpha.key}`)
      .send({ name: 'second' })
      .expect(201);
    const keys = [alpha.key, created.body.key as string];

    const statuses: number[] = [];
    let limited: { headers: Record<string, string>; body: { code: string; status: number } } | undefined;
    for (let index = 0; index < REQUESTS_PER_MINUTE; index++) {
      const response = await instance(index)
        .http()
        .get('/api/v1/organization')
        .set('Authorization', `Bearer ${keys[index % 2]}`);
      statuses.push(response.status);
      limited = response.status === 429 ? response : limited;
    }

    expect(statuses).toEqual([...Array<number>(REQUESTS_PER_MINUTE - 1).fill(200), 429]);
    expect(limited?.headers['content-type']).toContain('application/problem+json');
    expect(limited?.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    for (const [index, key] of keys.entries()) {
      await instance(index + 1)
        .http()
        .get('/api/v1/organization')
        .set('Authorization', `Bearer ${key}`)
        .expect(429);
    }
    for (const app of [first, second]) {
      await app.http().get('/api/v1/organization').set('Authorization', `Bearer ${beta.key}`).expect(200);
    }
  });

  it('should answer 429 to an address after its failed authentications, before any key lookup, on both instances', async () => {
    const guesser = address(9);
    for (let index = 0; index < AUTH_FAILURES_PER_MINUTE; index++) {
      const response = await instance(index)
        .http()
        .get('/api/v1/organization')
        .set('X-Forwarded-For', guesser)
        .set('Authorization', `Bearer ${badKey(index)}`);
      expect(response.status).toBe(401);
    }
    const limited = await second
      .http()
      .get('/api/v1/organization')
      .set('X-Forwarded-For', guesser)
      .set('Authorization', `Bearer ${badKey(99)}`)
      .expect(429);
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const lookups = [first, second].map((app) => jest.spyOn(app.app.get(OrganizationsService), 'authenticate'));
    for (let index = 0; index < 20; index++) {
      await instance(index)
        .http()
        .get('/api/v1/wabas')
        .set('X-Forwarded-For', guesser)
        .set('Authorization', `Bearer ${badKey(100 + index)}`)
        .expect(429);
    }
    // Not even a valid key gets through from that address: a 200 would tell a guesser it had found one.
    for (const app of [first, second]) {
      await app
        .http()
        .get('/api/v1/organization')
        .set('X-Forwarded-For', guesser)
        .set('Authorization', `Bearer ${beta.key}`)
        .expect(429);
    }
    expect(lookups.map((lookup) => lookup.mock.calls.length)).toEqual([0, 0]);

    for (const app of [first, second]) {
      await app
        .http()
        .get('/api/v1/organization')
        .set('X-Forwarded-For', address(10))
        .set('Authorization', `Bearer ${beta.key}`)
        .expect(200);
    }
  });

  it('should limit admin-token guesses per address the same way', async () => {
    const guesser = address(20);
    const guess = (app: TestApp, token: string, address = guesser) =>
      app
        .http()
        .post('/api/v1/organizations')
        .set('X-Forwarded-For', address)
        .set('Authorization', `Bearer ${token}`)
        .send({ name: 'Guessed' });
    for (let index = 0; index < AUTH_FAILURES_PER_MINUTE; index++) {
      expect((await guess(instance(index), `${TEST_ADMIN_TOKEN}-${index}`)).status).toBe(401);
    }
    expect((await guess(second, 'not-the-admin-token')).status).toBe(429);
    expect((await guess(first, TEST_ADMIN_TOKEN)).status).toBe(429);
    expect((await guess(second, TEST_ADMIN_TOKEN)).status).toBe(429);
    expect((await guess(first, TEST_ADMIN_TOKEN, address(21))).status).toBe(201);
  });

  it('should delete buckets that have refilled and keep the others', async () => {
    if (env.REDIS_URL) {
      // Redis expires its keys itself.
      await expect(first.app.get(RateLimiter).sweep()).resolves.toBe(0);
      return;
    }
    const client = new Client({ connectionString: first.databaseUrl });
    await client.connect();
    try {
      await client.query(
        `INSERT INTO rate_limit_buckets (key, tat_us) VALUES
           ('test:refilled', (extract(epoch FROM now() - interval '1 second') * 1000000)::bigint),
           ('test:in-use', (extract(epoch FROM now() + interval '30 seconds') * 1000000)::bigint)`,
      );

      const deleted = await first.app.get(RateLimiter).sweep();

      expect(deleted).toBeGreaterThanOrEqual(1);
      const rows = await client.query<{ key: string }>(`SELECT key FROM rate_limit_buckets WHERE key LIKE 'test:%'`);
      expect(rows.rows.map((row) => row.key)).toEqual(['test:in-use']);
    } finally {
      await client.end();
    }
  });
});

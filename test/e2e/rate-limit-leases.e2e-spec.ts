import { rateLimitLeaseUnits } from 'src/common/rate-limit/rate-limiter';
import { RateLimitStore } from 'src/common/rate-limit/rate-limit.store';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

// Large enough for leases of several units, small enough to exhaust in a few hundred requests.
const REQUESTS_PER_MINUTE = 300;
const LEASE = rateLimitLeaseUnits(REQUESTS_PER_MINUTE);

const STORES: Array<[string, Record<string, string> | null]> = [
  ['PostgreSQL', {}],
  ['Redis', process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : null],
];

describe.each(STORES)("An organization's budget taken in leases by two instances, state in %s (e2e)", (_store, env) => {
  let first: TestApp;
  let second: TestApp;

  if (env === null) {
    it('should find Redis (TEST_REDIS_URL) when running in CI', () => {
      expect({ ci: process.env.CI === 'true', redis: false }).toEqual({ ci: false, redis: false });
    });
    return;
  }

  beforeAll(async () => {
    const limits = { RATE_LIMIT_PER_MINUTE: String(REQUESTS_PER_MINUTE), ...env };
    first = await createTestApp({ env: limits });
    second = await createTestApp({ databaseUrl: first.databaseUrl, env: limits }, first.simulator);
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('should admit no more than the budget (and what refilled meanwhile) across both, in a lease per store call', async () => {
    expect(LEASE).toBeGreaterThan(1);
    const organization = await first.createOrganization('Leased');
    const calls = [first, second].map((app) => jest.spyOn(app.app.get(RateLimitStore), 'consume'));
    const startedAt = Date.now();

    let admitted = 0;
    let refusedInARow = 0;
    // Alternating as a load balancer would, until both instances refuse: the one still holding leased
    // units answers them first.
    for (let index = 0; refusedInARow < 4 && index < 3 * REQUESTS_PER_MINUTE; index++) {
      const response = await (index % 2 === 0 ? first : second)
        .http()
        .get('/api/v1/organization')
        .set('Authorization', `Bearer ${organization.key}`);
      expect([200, 429]).toContain(response.status);
      admitted += response.status === 200 ? 1 : 0;
      refusedInARow = response.status === 429 ? refusedInARow + 1 : 0;
    }
    const elapsedMs = Date.now() - startedAt;

    // Creating the organization was its first request. The bucket refills one unit per 200 ms meanwhile.
    const refilled = Math.ceil((elapsedMs * REQUESTS_PER_MINUTE) / 60_000) + 1;
    expect(admitted + 1).toBeLessThanOrEqual(REQUESTS_PER_MINUTE + refilled);
    expect(admitted + 1).toBeGreaterThanOrEqual(REQUESTS_PER_MINUTE - 2 * (LEASE - 1));
    const storeCalls = calls.reduce((sum, call) => sum + call.mock.calls.length, 0);
    expect(storeCalls).toBeLessThan(admitted / (LEASE - 1));
  });
});

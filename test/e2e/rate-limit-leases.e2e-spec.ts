import { rateLimitLeaseUnits } from 'src/common/rate-limit/rate-limiter';
import { RateLimitStore } from 'src/common/rate-limit/rate-limit.store';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

// Large enough for leases of several units, small enough to exhaust in a few hundred requests.
const REQUESTS_PER_MINUTE = 300;
const LEASE = rateLimitLeaseUnits(REQUESTS_PER_MINUTE);
const BATCH = 20;

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
    // Concurrent batches spread over both instances as a load balancer would.
    const batch = (): Promise<number[]> =>
      Promise.all(
        Array.from({ length: BATCH }, (_, index) =>
          (index % 2 === 0 ? first : second)
            .http()
            .get('/api/v1/organization')
            .set('Authorization', `Bearer ${organization.key}`)
            .then((response) => response.status),
        ),
      );

    // Well within the budget (creating the organization was its first request): every request admitted,
    // about one store call per lease.
    let sent = 0;
    while (sent + BATCH < REQUESTS_PER_MINUTE - 2 * LEASE) {
      expect(await batch()).toEqual(Array<number>(BATCH).fill(200));
      sent += BATCH;
    }
    const storeCalls = calls.reduce((sum, call) => sum + call.mock.calls.length, 0);
    expect(storeCalls).toBeLessThanOrEqual(sent / (LEASE - 1));

    // Then until the budget is spent: an instance still holding leased units answers them first.
    let admitted = sent;
    for (let round = 0; round < 40; round++) {
      const statuses = await batch();
      expect(statuses.filter((status) => status !== 200 && status !== 429)).toEqual([]);
      admitted += statuses.filter((status) => status === 200).length;
      if (statuses.filter((status) => status === 429).length >= BATCH / 2) {
        break;
      }
    }
    const elapsedMs = Date.now() - startedAt;

    // The bucket refills one unit per 200 ms meanwhile.
    const refilled = Math.ceil((elapsedMs * REQUESTS_PER_MINUTE) / 60_000) + 1;
    expect(admitted + 1).toBeLessThanOrEqual(REQUESTS_PER_MINUTE + refilled);
    expect(admitted + 1).toBeGreaterThanOrEqual(REQUESTS_PER_MINUTE - 2 * (LEASE - 1));
  }, 180_000);
});

import { randomUUID } from 'node:crypto';

import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaThrottleRegistry } from 'src/modules/meta-gateway/meta-throttle.registry';
import { MetaThrottleStore } from 'src/modules/meta-gateway/meta-throttle.store';
import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

interface RoundBody {
  wabas: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

async function runRound(app: TestApp): Promise<RoundBody> {
  const response = await app
    .http()
    .post('/api/v1/admin/sync-rounds')
    .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
    .expect(200);
  return response.body as RoundBody;
}

/** Waits (bounded) until the instance's gateway reports the object throttled; the answer, or null at the deadline. */
async function throttledUntilOn(app: TestApp, businessObjectId: string, deadlineMs = 10_000): Promise<Date | null> {
  const gateway = app.app.get(MetaGateway);
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const until = gateway.throttledUntil(businessObjectId);
    if (until || Date.now() > deadline) {
      return until;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const STORES: Array<[string, Record<string, string> | null]> = [
  ['PostgreSQL', {}],
  ['Redis', process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : null],
];

describe.each(STORES)("Meta's throttle pauses shared by two instances on one database, in %s (e2e)", (_store, env) => {
  let first: TestApp;
  let second: TestApp;
  let organization: { id: string; key: string };

  if (env === null) {
    // Redis is optional on a user's machine, but CI has one: there its absence fails instead of passing unseen.
    it('should find Redis (TEST_REDIS_URL) when running in CI', () => {
      expect({ ci: process.env.CI === 'true', redis: false }).toEqual({ ci: false, redis: false });
    });
    return;
  }

  beforeAll(async () => {
    first = await createTestApp({ env: { ...env } });
    second = await createTestApp({ databaseUrl: first.databaseUrl, env: { ...env } }, first.simulator);
    organization = await first.createOrganization('Throttled');
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('should not read a WABA on one instance that Meta throttled on the other', async () => {
    const seeded = await seedConnectedWabas(first.app, first.simulator, {
      organizationId: organization.id,
      businesses: 3,
      wabasPerBusiness: 1,
      tokens: 'per-waba',
    });
    const throttled = seeded[1].wabaId;
    first.simulator.injectFault({ path: `/${throttled}`, kind: 'throttle', regainMinutes: 30 });

    // The first instance reads it, and Meta answers that the WABA is throttled for 30 minutes.
    expect(await runRound(first)).toMatchObject({ wabas: 3, succeeded: 2, failed: 0, skipped: 1 });
    const pausedOnFirst = first.app.get(MetaGateway).throttledUntil(throttled);
    expect(pausedOnFirst?.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);

    // The second instance learns the pause from the shared store by itself (its periodic reload)...
    expect(await throttledUntilOn(second, throttled)).toEqual(pausedOnFirst);

    // ... and its round leaves the WABA alone without calling Meta for it.
    first.simulator.clearFaults();
    first.simulator.clearRequests();
    expect(await runRound(second)).toMatchObject({ wabas: 3, succeeded: 2, failed: 0, skipped: 1 });
    const callsForThrottled = first.simulator.requests.filter(
      (entry) =>
        entry.path === `/${throttled}` || entry.path.startsWith(`/${throttled}/`) || entry.ids?.includes(throttled),
    );
    expect(callsForThrottled).toEqual([]);
  });

  it('should never shorten a pause another instance recorded', async () => {
    const objectId = `9${randomUUID().replace(/\D/g, '').slice(0, 14)}`;
    first.app.get(MetaThrottleRegistry).pauseObject(objectId, 600);
    const long = await throttledUntilOn(second, objectId);
    expect(long).not.toBeNull();

    // A shorter pause written to the shared store (by an instance that had not seen the longer one yet)
    // leaves the longer one standing, in the store and on both instances.
    const store = second.app.get(MetaThrottleStore);
    await store.pause(objectId, Date.now() + 60_000);
    expect((await store.active()).find((pause) => pause.scope === objectId)?.untilMs).toBe(long?.getTime());
    await second.app.get(MetaThrottleRegistry).refresh();
    await first.app.get(MetaThrottleRegistry).refresh();
    expect(second.app.get(MetaGateway).throttledUntil(objectId)).toEqual(long);
    expect(first.app.get(MetaGateway).throttledUntil(objectId)).toEqual(long);
  });

  if (env.REDIS_URL === undefined) {
    // Only on PostgreSQL: a test database is this file's own, whereas Redis may be shared by parallel runs.
    it('should pause every object on the other instance while the app is throttled', async () => {
      const someWaba = `8${randomUUID().replace(/\D/g, '').slice(0, 14)}`;
      expect(second.app.get(MetaGateway).throttledUntil(someWaba)).toBeNull();

      first.app.get(MetaThrottleRegistry).pauseApp(120);

      expect(await throttledUntilOn(second, someWaba)).not.toBeNull();
    });
  }
});

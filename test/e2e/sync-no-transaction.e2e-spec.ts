import { Client } from 'pg';

import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';
import { createTestDatabase, dropTestDatabase } from 'test/utils/test-database';

/** Longest a session of the app's database may sit idle inside a transaction before PostgreSQL ends it. */
const IDLE_IN_TRANSACTION_LIMIT_MS = 1500;
/** Every Graph call takes this long: a transaction open across one would sit idle at least that long. */
const META_LATENCY_MS = 3000;

/**
 * No database transaction is open while the sync waits for Meta: the database ends any session left idle
 * in a transaction for {@link IDLE_IN_TRANSACTION_LIMIT_MS}, and Meta answers in {@link META_LATENCY_MS}, so
 * a transaction spanning a Graph call would be cut and its work would fail (and count as a fatal session).
 * The sync's paths: a round (multi-ID group, single WABA with its terms read), `POST /wabas/{id}/sync`,
 * the MM Lite refresh, and a read that Meta refuses (the failure is recorded after the call).
 */
describe('Sync without a transaction across a Graph call (e2e)', () => {
  let databaseUrl: string;
  let sut: TestApp;
  let db: Client;
  let organization: { id: string; key: string };

  const fatalSessions = async (): Promise<number> => {
    await db.query('SELECT pg_stat_clear_snapshot()');
    const result = await db.query<{ n: number }>(
      'SELECT sessions_fatal::int AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return result.rows[0].n;
  };

  beforeAll(async () => {
    databaseUrl = await createTestDatabase();
    const admin = new Client({ connectionString: databaseUrl });
    await admin.connect();
    try {
      const name = new URL(databaseUrl).pathname.slice(1);
      await admin.query(
        `ALTER DATABASE ${name} SET idle_in_transaction_session_timeout = '${IDLE_IN_TRANSACTION_LIMIT_MS}ms'`,
      );
    } finally {
      await admin.end();
    }
    sut = await createTestApp({ databaseUrl, env: { META_REQUEST_TIMEOUT_MS: '15000', META_MAX_RETRIES: '0' } });
    db = new Client({ connectionString: databaseUrl });
    await db.connect();
    organization = await sut.createOrganization('Patient');
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
    await dropTestDatabase(databaseUrl);
  });

  it('should read and apply through every sync path while Meta takes longer than the database allows idle', async () => {
    const shared = await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: organization.id,
      businesses: 1,
      wabasPerBusiness: 2,
      tokens: 'shared',
    });
    const [alone, refreshed, refused] = await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: organization.id,
      businesses: 3,
      wabasPerBusiness: 1,
      tokens: 'per-waba',
    });
    const all = [...shared, alone, refreshed, refused];
    for (const waba of all) {
      sut.simulator.updateWaba(waba.wabaId, { marketingMessagesOnboardingStatus: 'ONBOARDED' });
    }
    const fatalBefore = await fatalSessions();
    sut.simulator.setLatency(META_LATENCY_MS);
    try {
      const auth = { Authorization: `Bearer ${organization.key}` };
      sut.simulator.injectFault({ path: `/${refused.wabaId}`, kind: 'invalid_token' });
      const [round, synced, refresh, rejected] = await Promise.all([
        sut.http().post('/api/v1/admin/sync-rounds').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`),
        sut.http().post(`/api/v1/wabas/${alone.wabaId}/sync`).set(auth),
        sut.http().post(`/api/v1/wabas/${refreshed.wabaId}/mm-lite/refresh`).set(auth),
        sut.http().post(`/api/v1/wabas/${refused.wabaId}/sync`).set(auth),
      ]);

      expect(round.status).toBe(200);
      // All five WABAs but the refused one (if the round got to it first, it failed there instead).
      expect(round.body.failed).toBeLessThanOrEqual(1);
      expect(round.body.succeeded + round.body.failed).toBe(round.body.wabas);
      expect(synced.status).toBe(200);
      expect(synced.body.mmLiteStatus).toBe('ONBOARDED');
      expect(refresh.status).toBe(200);
      expect(rejected.status).toBe(409);
      expect(rejected.body.code).toBe('REAUTH_REQUIRED');
    } finally {
      sut.simulator.setLatency(0);
    }

    const stored = await db.query<{ waba_id: string; mm: string | null; connection: string }>(
      'SELECT waba_id, mm_lite_meta_status AS mm, connection::text AS connection FROM wabas WHERE waba_id = ANY($1)',
      [all.map((waba) => waba.wabaId)],
    );
    const byId = new Map(stored.rows.map((row) => [row.waba_id, row]));
    for (const waba of [...shared, alone, refreshed]) {
      expect(byId.get(waba.wabaId)).toMatchObject({ mm: 'ONBOARDED', connection: 'CONNECTED' });
    }
    expect(byId.get(refused.wabaId)?.connection).toBe('REAUTH_REQUIRED');
    // No session of the app was cut for sitting idle in a transaction (stats are flushed as a session ends).
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await fatalSessions()).toBe(fatalBefore);
  });
});

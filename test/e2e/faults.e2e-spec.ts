import type { ChildProcess } from 'node:child_process';

import { Client } from 'pg';

import type { FaultKind } from 'src/meta-simulator/meta-simulator.types';
import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, TEST_SYSTEM_USER_TOKEN, type TestApp } from 'test/utils/create-test-app';
import { startServiceProcess } from 'test/utils/service-process';
import { dropTestDatabase } from 'test/utils/test-database';

const POLL_MS = 25;
const WAIT_LIMIT_MS = 20_000;
const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };
/** Meta faults of every class the service must survive: timeout, 5xx, throttling, unreadable answers. */
const META_FAULTS: FaultKind[] = ['hang', 'http500', 'http503', 'throttle', 'app_throttle', 'malformed', 'transient'];

/** Polls `read` until `done` holds or the bounded wait runs out; returns the last value. */
async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let value = await read().catch(() => undefined as T);
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    value = await read().catch(() => undefined as T);
  }
  return value;
}

let faultsInjected = 0;

describe('Faults (e2e)', () => {
  afterAll(() => {
    process.stdout.write(`fault suite: ${faultsInjected} faults injected\n`);
  });

  describe('Meta failing during signup, sync and sends', () => {
    let sut: TestApp;
    let db: Client;
    let key: string;

    const count = async (table: string): Promise<number> =>
      Number((await db.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
    const inject = (kind: FaultKind, path: string, method?: string): void => {
      faultsInjected += 1;
      sut.simulator.injectFault({ kind, path, method });
    };
    const connect = async () => {
      // The WABA has the template the sends name (the service checks it before calling Meta).
      const session = sut.simulator.createSignupSession({ templates: [TEMPLATE] });
      await sut
        .http()
        .post('/api/v1/phone-numbers')
        .set('Authorization', `Bearer ${key}`)
        .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
        .expect(201);
      return session;
    };

    beforeAll(async () => {
      sut = await createTestApp({ env: { META_REQUEST_TIMEOUT_MS: '300', META_MAX_RETRIES: '1' } });
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
      key = (await sut.createOrganization('Faults')).key;
    });

    afterAll(async () => {
      await db.end();
      await sut.close();
    });

    afterEach(() => {
      sut.simulator.clearFaults();
    });

    it.each(['/oauth/access_token', '/debug_token'])(
      'should answer a Meta failure on %s during signup with a 5xx Meta problem, write nothing, and connect once Meta answers',
      async (path) => {
        for (const kind of META_FAULTS) {
          const wabas = await count('wabas');
          const numbers = await count('phone_numbers');
          const session = sut.simulator.createSignupSession();
          inject(kind, path);
          const response = await sut
            .http()
            .post('/api/v1/phone-numbers')
            .set('Authorization', `Bearer ${key}`)
            .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId });
          sut.simulator.clearFaults();

          expect({ kind, status: response.status, code: response.body.code }).toMatchObject({
            kind,
            status: expect.any(Number),
          });
          expect([502, 503]).toContain(response.status);
          expect(['META_UNAVAILABLE', 'META_RATE_LIMITED']).toContain(response.body.code);
          expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
          expect(await count('wabas')).toBe(wabas);
          expect(await count('phone_numbers')).toBe(numbers);
        }
        // Meta answers again: a new signup connects exactly one WABA and one number.
        const before = await count('wabas');
        const connected = await connect();
        expect(await count('wabas')).toBe(before + 1);
        const rows = await db.query('SELECT 1 FROM phone_numbers WHERE phone_number_id = $1', [
          connected.phoneNumberId,
        ]);
        expect(rows.rowCount).toBe(1);
      },
    );

    it('should answer a rejected token during signup with a 4xx problem and write nothing', async () => {
      const wabas = await count('wabas');
      const session = sut.simulator.createSignupSession();
      inject('invalid_token', `/${session.wabaId}`);
      const response = await sut
        .http()
        .post('/api/v1/phone-numbers')
        .set('Authorization', `Bearer ${key}`)
        .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId });

      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).not.toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await count('wabas')).toBe(wabas);
    });

    it('should keep serving during Meta failures on a sync and converge on the next sync', async () => {
      const connected = await connect();
      const detail = () =>
        sut.http().get(`/api/v1/wabas/${connected.wabaId}`).set('Authorization', `Bearer ${key}`).expect(200);
      sut.simulator.updateWaba(connected.wabaId, { name: 'Renamed during the outage' });
      for (const kind of META_FAULTS) {
        inject(kind, `/${connected.wabaId}`);
        const response = await sut
          .http()
          .post(`/api/v1/wabas/${connected.wabaId}/sync`)
          .set('Authorization', `Bearer ${key}`);
        sut.simulator.clearFaults();
        expect({ kind, status: response.status }).toEqual({ kind, status: expect.any(Number) });
        expect([502, 503]).toContain(response.status);
        // Reads still answer from the database while Meta fails.
        await detail();
      }
      await sut.http().post(`/api/v1/wabas/${connected.wabaId}/sync`).set('Authorization', `Bearer ${key}`).expect(200);
      expect((await detail()).body).toMatchObject({ name: 'Renamed during the outage', connection: 'CONNECTED' });
      // Nothing is applied twice: one more sync with Meta unchanged records nothing new.
      const audits = async () =>
        (await db.query('SELECT count(*)::int AS n FROM audit_events WHERE waba_id = $1', [connected.wabaId])).rows[0]
          .n as number;
      const settled = await audits();
      await sut.http().post(`/api/v1/wabas/${connected.wabaId}/sync`).set('Authorization', `Bearer ${key}`).expect(200);
      expect(await audits()).toBe(settled);
    });

    it('should mark the connection REAUTH_REQUIRED once when Meta rejects the stored token on a sync', async () => {
      const connected = await connect();
      inject('expired_token', `/${connected.wabaId}`);
      const first = await sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${key}`);
      expect(first.status).toBe(409);
      expect(first.body.code).toBe('REAUTH_REQUIRED');
      const again = await sut
        .http()
        .post(`/api/v1/wabas/${connected.wabaId}/sync`)
        .set('Authorization', `Bearer ${key}`);
      expect(again.status).toBe(409);
      const changes = await db.query(
        "SELECT count(*)::int AS n FROM audit_events WHERE waba_id = $1 AND type = 'CONNECTION_CHANGED'",
        [connected.wabaId],
      );
      expect(changes.rows[0].n).toBe(1);
    });

    it('should answer Meta failures on a send with a Meta problem and send once Meta answers', async () => {
      const connected = await connect();
      const send = (to: string) =>
        sut
          .http()
          .post(`/api/v1/phone-numbers/${connected.phoneNumberId}/marketing-messages`)
          .set('Authorization', `Bearer ${key}`)
          .send({ to, template: TEMPLATE });
      let seq = 0;
      for (const kind of META_FAULTS) {
        inject(kind, `/${connected.phoneNumberId}/messages`, 'POST');
        const response = await send(`+4477009${String(10_000 + seq++).slice(-5)}`);
        sut.simulator.clearFaults();
        // No answer, or an unreadable one, may come after Meta sent the message: the outcome is unknown.
        const expected = kind === 'hang' || kind === 'malformed' ? [504] : [502, 503];
        expect({ kind, status: response.status }).toEqual({ kind, status: expect.any(Number) });
        expect(expected).toContain(response.status);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      }
      sut.simulator.clearRequests();
      await send('+447700955555').expect(202);
      // A send is never retried behind the caller's back: one POST per accepted message.
      expect(sut.simulator.requests.filter((entry) => entry.path.endsWith('/messages'))).toHaveLength(1);
    });
  });

  describe('a re-sync round under faults and restarts', () => {
    it('should converge after a round with failing multi-ID calls, each WABA updated once', async () => {
      const sut = await createTestApp({ env: { META_SYSTEM_USER_TOKEN: TEST_SYSTEM_USER_TOKEN } });
      const db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
      try {
        const organization = await sut.createOrganization('Round faults');
        const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
          organizationId: organization.id,
          businesses: 60,
          wabasPerBusiness: 1,
          tokens: 'per-waba',
        });
        for (const waba of seeded) {
          sut.simulator.updateWaba(waba.wabaId, { name: `Meta name ${waba.wabaId}` });
        }
        faultsInjected += 3;
        sut.simulator.injectFault({ path: '/', kind: 'http503' });
        sut.simulator.injectFault({ path: `/${seeded[0].wabaId}`, kind: 'malformed' });
        sut.simulator.injectFault({ path: `/${seeded[1].wabaId}`, kind: 'waba_throttle' });
        const round = async () =>
          (await sut.http().post('/api/v1/admin/sync-rounds').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`))
            .body as { failed: number; succeeded: number; skipped: number };
        const first = await round();
        expect(first.failed + first.skipped).toBeGreaterThan(0);

        sut.simulator.clearFaults();
        const second = await round();
        expect(second.failed).toBe(0);
        const rows = await db.query<{ waba_id: string; name: string }>('SELECT waba_id, name FROM wabas');
        expect(rows.rows.every((row) => row.name === `Meta name ${row.waba_id}`)).toBe(true);
        // Nothing duplicated: another full round with Meta unchanged records nothing new.
        const audits = async () => (await db.query('SELECT count(*)::int AS n FROM audit_events')).rows[0].n as number;
        const settled = await audits();
        expect((await round()).succeeded).toBe(seeded.length);
        expect(await audits()).toBe(settled);
      } finally {
        await db.end();
        await sut.close();
      }
    });

    // A real service process compiles the app with ts-node and the round seeds 80 WABAs: on a loaded machine
    // that alone can take most of the default minute, so this test gets a budget of its own (not a timing assert).
    it('should finish a round whose process was killed (SIGKILL) midway, losing and repeating no WABA', async () => {
      const seeding = await createTestApp();
      const simulator = seeding.simulator;
      const databaseUrl = seeding.databaseUrl;
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      let child: ChildProcess | null = null;
      let second: TestApp | null = null;
      try {
        const organization = await seeding.createOrganization('Killed round');
        // One business token per WABA and no system-user token: three Graph calls per WABA, a long round.
        const seeded = await seedConnectedWabas(seeding.app, simulator, {
          organizationId: organization.id,
          businesses: 80,
          wabasPerBusiness: 1,
          tokens: 'per-waba',
        });
        for (const waba of seeded) {
          simulator.updateWaba(waba.wabaId, { name: `After restart ${waba.wabaId}` });
        }
        await seeding.close({ keepDatabase: true, keepSimulator: true });

        // The same service as its own process, so that it can really be killed.
        simulator.setLatency(100);
        const started = await startServiceProcess(databaseUrl, { SYNC_CONCURRENCY: '2' });
        child = started.child;
        void fetch(`${started.url}/api/v1/admin/sync-rounds`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
        }).catch(() => undefined);
        const calls = await waitFor(
          () => Promise.resolve(simulator.requests.length),
          (count) => count >= 30,
        );
        expect(calls).toBeGreaterThanOrEqual(30);
        faultsInjected += 1;
        child.kill('SIGKILL');
        await new Promise((resolve) => child?.once('exit', resolve));
        simulator.setLatency(0);

        const afterKill = await db.query<{ claimed: number; synced: number }>(
          `SELECT count(*) FILTER (WHERE sync_claimed_by IS NOT NULL)::int AS claimed,
                  count(*) FILTER (WHERE name LIKE 'After restart %')::int AS synced FROM wabas`,
        );
        expect(afterKill.rows[0].synced).toBeLessThan(seeded.length);
        expect(afterKill.rows[0].claimed).toBeGreaterThan(0);

        // Time passes beyond the dead instance's claim lease.
        await db.query(
          "UPDATE wabas SET sync_claim_expires_at = now() - interval '1 second' WHERE sync_claimed_by IS NOT NULL",
        );
        second = await createTestApp({ databaseUrl }, simulator);
        const round = await second
          .http()
          .post('/api/v1/admin/sync-rounds')
          .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
          .expect(200);
        expect(round.body.failed).toBe(0);

        const rows = await db.query<{ waba_id: string; name: string; sync_claimed_by: string | null }>(
          'SELECT waba_id, name, sync_claimed_by FROM wabas',
        );
        expect(rows.rows.filter((row) => row.name !== `After restart ${row.waba_id}`)).toEqual([]);
        expect(rows.rows.filter((row) => row.sync_claimed_by !== null)).toEqual([]);
        // Each WABA's rename is audited exactly once, whichever instance applied it.
        const audits = await db.query<{ waba_id: string; n: number }>(
          `SELECT waba_id, count(*)::int AS n FROM audit_events
            WHERE source = 'SYNC' AND after ? 'name' GROUP BY waba_id`,
        );
        expect(audits.rows.filter((row) => row.n !== 1)).toEqual([]);
      } finally {
        child?.kill('SIGKILL');
        await db.end();
        await second?.close({ keepDatabase: true });
        await simulator.stop();
        await dropTestDatabase(databaseUrl);
      }
    }, 240_000);
  });

  describe('webhook processing across a restart', () => {
    it('should apply every stored delivery once after the process stops mid-processing', async () => {
      const first = await createTestApp();
      const simulator = first.simulator;
      const db = new Client({ connectionString: first.databaseUrl });
      await db.connect();
      let second: TestApp | null = null;
      try {
        const organization = await first.createOrganization('Killed webhooks');
        const seeded = await seedConnectedWabas(first.app, simulator, {
          organizationId: organization.id,
          businesses: 40,
          wabasPerBusiness: 1,
        });
        const time = Math.floor(Date.now() / 1000);
        const deliveries = seeded.map((waba) =>
          simulator.buildWebhook(
            'account_update',
            { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE' } },
            waba.wabaId,
            time,
          ),
        );
        const statuses = await Promise.all(
          deliveries.map(async (payload) => (await simulator.sendWebhook(payload)).status),
        );
        expect(statuses.every((status) => status === 200)).toBe(true);
        // Stopped while its worker is still going through the inbox.
        faultsInjected += 1;
        await first.close({ keepDatabase: true, keepSimulator: true });
        // A row a killed worker held stays PROCESSING until its lease ends; let the leases end.
        await db.query("UPDATE webhook_inbox SET next_attempt_at = now() WHERE status IN ('PENDING', 'PROCESSING')");
        // Meta redelivers some of them (it does when an answer is slow): they must not apply twice.
        const redelivered = deliveries.slice(0, 10).map((payload) => JSON.stringify(payload));

        second = await createTestApp({ databaseUrl: first.databaseUrl }, simulator);
        for (const body of redelivered) {
          await simulator.sendWebhook(body);
        }
        const inbox = await waitFor(
          async () =>
            (
              await db.query<{ status: string; n: number }>(
                'SELECT status, count(*)::int AS n FROM webhook_inbox GROUP BY status',
              )
            ).rows,
          (rows) => rows.length === 1 && rows[0].status === 'DONE',
        );
        expect(inbox).toEqual([{ status: 'DONE', n: seeded.length }]);
        const wabas = await db.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM wabas GROUP BY status',
        );
        expect(wabas.rows).toEqual([{ status: 'DISABLED', n: seeded.length }]);
        const audits = await db.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_events WHERE type = 'WABA_STATUS_CHANGED' GROUP BY waba_id",
        );
        expect(audits.rows).toHaveLength(seeded.length);
        expect(audits.rows.every((row) => row.n === 1)).toBe(true);
      } finally {
        await db.end();
        await second?.close({ keepDatabase: true });
        await simulator.stop();
        await dropTestDatabase(first.databaseUrl);
      }
    });
  });

  describe('the database restarting under the running service', () => {
    it('should recover readiness and serve requests again without restarting the service', async () => {
      const sut = await createTestApp();
      const admin = new Client({ connectionString: sut.databaseUrl });
      await admin.connect();
      try {
        const { key } = await sut.createOrganization('Database restart');
        await sut.http().get('/health/ready').expect(200);
        // What a server restart does to the clients: every connection of the service is cut.
        faultsInjected += 1;
        const killed = await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        expect(killed.rowCount).toBeGreaterThan(0);

        const ready = await waitFor(
          async () => (await sut.http().get('/health/ready')).status,
          (status) => status === 200,
        );
        expect(ready).toBe(200);
        const list = await waitFor(
          async () => (await sut.http().get('/api/v1/wabas').set('Authorization', `Bearer ${key}`)).status,
          (status) => status === 200,
        );
        expect(list).toBe(200);
        // Writes work again too.
        await sut
          .http()
          .post('/api/v1/organization/api-keys')
          .set('Authorization', `Bearer ${key}`)
          .send({})
          .expect(201);
      } finally {
        await admin.end();
        await sut.close();
      }
    });
  });
});

import { Client } from 'pg';

import type { SimRequestLogEntry } from 'src/meta-simulator/meta-simulator.types';
import { StatusSyncJob } from 'src/modules/scheduler/jobs/status-sync.job';
import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, TEST_SYSTEM_USER_TOKEN, type TestApp } from 'test/utils/create-test-app';

interface RoundBody {
  wabas: number;
  succeeded: number;
  failed: number;
  skipped: number;
  metaCalls: number;
  durationMs: number;
}

interface WabaSyncRow {
  waba_id: string;
  name: string | null;
  connection: string;
  last_synced_at: Date | null;
  next_sync_at: Date;
  sync_failure_count: number;
  last_sync_error_code: string | null;
  sync_claimed_by: string | null;
}

async function runRound(sut: TestApp): Promise<RoundBody> {
  const response = await sut
    .http()
    .post('/api/v1/admin/sync-rounds')
    .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
    .expect(200);
  expect(response.body).toEqual({
    wabas: expect.any(Number),
    succeeded: expect.any(Number),
    failed: expect.any(Number),
    skipped: expect.any(Number),
    metaCalls: expect.any(Number),
    webhooks: expect.any(Object),
    durationMs: expect.any(Number),
  });
  return response.body as RoundBody;
}

/** Multi-ID calls (`GET /?ids=`) that carried at least one of these IDs. */
function multiIdCalls(requests: readonly SimRequestLogEntry[], ids: Set<string>): SimRequestLogEntry[] {
  return requests.filter((entry) => entry.path === '/' && (entry.ids ?? []).some((id) => ids.has(id)));
}

/**
 * How many times each of these WABAs was read: a multi-ID call counts for every ID it carried, a read of one
 * WABA (`GET /{waba-id}`) for that WABA. Its numbers' edge (`/{waba-id}/phone_numbers`) belongs to that same
 * read and is not counted again.
 */
function readsPerWaba(requests: readonly SimRequestLogEntry[], ids: Set<string>): Map<string, number> {
  const reads = new Map<string, number>();
  for (const entry of requests) {
    const touched =
      entry.path === '/' ? (entry.ids ?? []) : entry.path.split('/').length === 2 ? [entry.path.slice(1)] : [];
    for (const id of touched.filter((candidate) => ids.has(candidate))) {
      reads.set(id, (reads.get(id) ?? 0) + 1);
    }
  }
  return reads;
}

/** Calls addressed to one object's own path (`/{id}` or `/{id}/edge`). */
function callsFor(requests: readonly SimRequestLogEntry[], id: string): SimRequestLogEntry[] {
  return requests.filter((entry) => entry.path === `/${id}` || entry.path.startsWith(`/${id}/`));
}

describe('Sync rounds (e2e)', () => {
  let db: Client;

  const rows = async (wabaIds: string[]): Promise<Map<string, WabaSyncRow>> => {
    const result = await db.query<WabaSyncRow>(
      `SELECT waba_id, name, connection, last_synced_at, next_sync_at, sync_failure_count, last_sync_error_code,
              sync_claimed_by
         FROM wabas WHERE waba_id = ANY($1)`,
      [wabaIds],
    );
    return new Map(result.rows.map((row) => [row.waba_id, row]));
  };

  // Every test seeds its own WABAs; the ones of earlier tests are parked so that a round sees only these
  // (a full round reads every connected WABA, due or not, so they are taken out of the rounds altogether).
  const parkEveryWaba = async (): Promise<void> => {
    await db.query("UPDATE wabas SET next_sync_at = now() + interval '1 day', connection = 'REAUTH_REQUIRED'");
  };

  const auditActors = async (wabaIds: string[]): Promise<Array<{ source: string; actor: string }>> =>
    (
      await db.query<{ source: string; actor: string }>(
        'SELECT DISTINCT source::text AS source, actor FROM audit_events WHERE waba_id = ANY($1)',
        [wabaIds],
      )
    ).rows;

  describe('with a system-user token configured', () => {
    let sut: TestApp;
    let organization: { id: string; key: string };

    beforeAll(async () => {
      sut = await createTestApp({ env: { META_SYSTEM_USER_TOKEN: TEST_SYSTEM_USER_TOKEN } });
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
      organization = await sut.createOrganization('Rounds');
    });

    afterAll(async () => {
      await db.end();
      await sut.close();
    });

    beforeEach(async () => {
      await parkEveryWaba();
      sut.simulator.clearFaults();
      sut.simulator.clearRequests();
    });

    it('should refuse to run a round without the admin token', async () => {
      const response = await sut
        .http()
        .post('/api/v1/admin/sync-rounds')
        .set('Authorization', `Bearer ${organization.key}`)
        .expect(401);
      expect(response.body.code).toBe('UNAUTHENTICATED');
      expect(sut.simulator.requests).toHaveLength(0);
    });

    it('should show changes made at Meta after a round, with audit records from SYNC', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 3,
      });
      const [first, second] = seeded;
      sut.simulator.updateWaba(first.wabaId, {
        name: 'Renamed at Meta',
        marketingMessagesOnboardingStatus: 'ONBOARDED',
      });
      sut.simulator.updatePhoneNumber(first.phoneNumberIds[0], { qualityRating: 'RED' });
      sut.simulator.setBusinessTermsStatus(second.businessId, 'TERM_OF_SERVICE_SIGNED');

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 3, succeeded: 3, failed: 0, skipped: 0 });
      // One multi-ID call for the three WABAs' fields, one for their three known numbers.
      expect(round.metaCalls).toBe(2);
      const auth = { Authorization: `Bearer ${organization.key}` };
      const waba = await sut.http().get(`/api/v1/wabas/${first.wabaId}`).set(auth).expect(200);
      expect(waba.body).toMatchObject({
        wabaId: first.wabaId,
        name: 'Renamed at Meta',
        mmLiteStatus: 'ONBOARDED',
        lastSyncedAt: expect.any(String),
      });
      expect(waba.body.mmLite).toMatchObject({ metaStatus: 'ONBOARDED', termsStatus: 'TERM_OF_SERVICE_SIGNED' });
      const phone = await sut.http().get(`/api/v1/phone-numbers/${first.phoneNumberIds[0]}`).set(auth).expect(200);
      expect(phone.body.qualityRating).toBe('RED');

      const audit = await sut
        .http()
        .get('/api/v1/audit-events')
        .query({ wabaId: first.wabaId, type: 'MM_LITE_STATUS_CHANGED' })
        .set(auth)
        .expect(200);
      expect(audit.body.data).toHaveLength(1);
      expect(audit.body.data[0]).toMatchObject({
        source: 'SYNC',
        actor: 'admin',
        before: { mmLiteStatus: null },
        after: { mmLiteStatus: 'ONBOARDED' },
      });

      const stored = await rows(seeded.map((item) => item.wabaId));
      for (const row of stored.values()) {
        expect(row.sync_claimed_by).toBeNull();
        expect(row.next_sync_at.getTime()).toBeGreaterThan(Date.now() + 10 * 60_000);
      }
    });

    it('should read 120 WABAs of different businesses with at most 3 multi-ID calls for their fields', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 120,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      const wabaIds = new Set(seeded.map((item) => item.wabaId));
      const phoneIds = new Set(seeded.flatMap((item) => item.phoneNumberIds));

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 120, succeeded: 120, failed: 0, skipped: 0 });
      const requests = sut.simulator.requests;
      const fieldCalls = multiIdCalls(requests, wabaIds);
      expect(fieldCalls.length).toBeLessThanOrEqual(3);
      expect(fieldCalls.every((entry) => entry.tokenKind === 'system_user')).toBe(true);
      expect(new Set(fieldCalls.flatMap((entry) => entry.ids ?? []))).toEqual(wabaIds);
      expect(multiIdCalls(requests, phoneIds).length).toBeLessThanOrEqual(3);
      // Nothing was read one WABA at a time.
      expect(requests.filter((entry) => entry.path !== '/')).toEqual([]);
      expect(round.metaCalls).toBe(requests.length);

      const stored = await rows([...wabaIds]);
      expect(
        [...stored.values()].filter((row) => row.last_synced_at === null || row.name?.startsWith('Seeded')),
      ).toEqual([]);
    });

    it('should fall back to one read per WABA when a multi-ID call keeps failing', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 3,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      // Both multi-ID reads (the fields and the numbers, which go out at once) fail, each with both of the
      // gateway's retries.
      sut.simulator.injectFault({ path: '', kind: 'http500', times: 6 });

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 3, succeeded: 3, failed: 0, skipped: 0 });
      for (const waba of seeded) {
        const own = callsFor(sut.simulator.requests, waba.wabaId);
        // GET /{waba-id} and GET /{waba-id}/phone_numbers with the WABA's own business token.
        expect(own.map((entry) => entry.path).sort()).toEqual([`/${waba.wabaId}`, `/${waba.wabaId}/phone_numbers`]);
        expect(own.every((entry) => entry.tokenKind === 'business')).toBe(true);
      }
      const stored = await rows(seeded.map((item) => item.wabaId));
      expect([...stored.values()].every((row) => row.last_synced_at !== null && row.sync_failure_count === 0)).toBe(
        true,
      );
    });

    it('should read every WABA exactly once when two instances run an admin round at once', async () => {
      // Two more instances on the same database and simulator (the sealing key is per process), each with two workers: one holds
      // at most two batches of 50 while Meta answers, so the other, started within that time, finds work.
      const instance = () =>
        createTestApp(
          {
            databaseUrl: sut.databaseUrl,
            env: { META_SYSTEM_USER_TOKEN: TEST_SYSTEM_USER_TOKEN, SYNC_CONCURRENCY: '1' },
          },
          sut.simulator,
        );
      const left = await instance();
      const right = await instance();
      try {
        // None is due: the admin round reads them all anyway.
        const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
          organizationId: organization.id,
          businesses: 40,
          wabasPerBusiness: 5,
          tokens: 'per-waba',
          nextSyncAt: new Date(Date.now() + 60 * 60_000),
        });
        const wabaIds = new Set(seeded.map((item) => item.wabaId));
        // Both requests start their round before either instance has finished reading its first batches.
        sut.simulator.setLatency(300);

        const [mine, theirs] = await Promise.all([runRound(left), runRound(right)]);

        sut.simulator.setLatency(0);
        expect(mine.wabas + theirs.wabas).toBe(200);
        expect(mine.succeeded + theirs.succeeded).toBe(200);
        // Both did part of the work, and their counts add up to what Meta saw.
        expect(mine.wabas).toBeGreaterThan(0);
        expect(theirs.wabas).toBeGreaterThan(0);
        expect(mine.metaCalls + theirs.metaCalls).toBe(sut.simulator.requests.length);
        const reads = readsPerWaba(sut.simulator.requests, wabaIds);
        expect(reads.size).toBe(200);
        expect([...reads.entries()].filter(([, count]) => count !== 1)).toEqual([]);
        const stored = await rows([...wabaIds]);
        expect(
          [...stored.values()].filter((row) => row.last_synced_at === null || row.sync_claimed_by !== null),
        ).toEqual([]);
      } finally {
        sut.simulator.setLatency(0);
        await Promise.all([left.close(), right.close()]);
        // Each instance pointed the shared simulator's webhooks at itself.
        sut.simulator.setWebhookUrl(`${sut.url}/webhooks/meta`);
      }
    });

    it('should re-read every WABA in an admin round right after another, picking up what changed at Meta', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 2,
        wabasPerBusiness: 3,
      });
      const wabaIds = new Set(seeded.map((item) => item.wabaId));
      expect(await runRound(sut)).toMatchObject({ wabas: 6, succeeded: 6 });
      const afterFirst = await rows([...wabaIds]);
      // Read a moment ago: none of them is due now.
      expect([...afterFirst.values()].every((row) => row.next_sync_at.getTime() > Date.now())).toBe(true);
      sut.simulator.clearRequests();
      for (const waba of seeded) {
        sut.simulator.updateWaba(waba.wabaId, { name: `Second look ${waba.wabaId}` });
      }

      const second = await runRound(sut);

      expect(second).toMatchObject({ wabas: 6, succeeded: 6, failed: 0, skipped: 0 });
      const reads = readsPerWaba(sut.simulator.requests, wabaIds);
      expect([...reads.keys()].sort()).toEqual([...wabaIds].sort());
      const stored = await rows([...wabaIds]);
      expect([...stored.values()].filter((row) => row.name !== `Second look ${row.waba_id}`)).toEqual([]);
      for (const row of stored.values()) {
        expect(row.last_synced_at?.getTime()).toBeGreaterThan(
          afterFirst.get(row.waba_id)?.last_synced_at?.getTime() ?? 0,
        );
      }
      expect(await auditActors([...wabaIds])).toEqual([{ source: 'SYNC', actor: 'admin' }]);
    });

    it('should read only the due WABAs in a scheduled round, as the system', async () => {
      const due = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 3,
      });
      const later = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 2,
        nextSyncAt: new Date(Date.now() + 10 * 60_000),
      });
      for (const waba of [...due, ...later]) {
        sut.simulator.updateWaba(waba.wabaId, { name: `Scheduled ${waba.wabaId}` });
      }

      const round = await sut.app.get(StatusSyncJob).run();

      expect(round).toMatchObject({ wabas: 3, succeeded: 3, failed: 0, skipped: 0 });
      const reads = readsPerWaba(sut.simulator.requests, new Set([...due, ...later].map((item) => item.wabaId)));
      expect([...reads.keys()].sort()).toEqual(due.map((item) => item.wabaId).sort());
      const stored = await rows([...due, ...later].map((item) => item.wabaId));
      for (const waba of due) {
        expect(stored.get(waba.wabaId)?.name).toBe(`Scheduled ${waba.wabaId}`);
      }
      for (const waba of later) {
        expect(stored.get(waba.wabaId)?.name).toBe('Seeded (not yet synced)');
      }
      expect(await auditActors(due.map((item) => item.wabaId))).toEqual([{ source: 'SYNC', actor: 'system' }]);

      // A scheduled round right after finds nothing due; an admin round still reads the two not yet due.
      expect(await sut.app.get(StatusSyncJob).run()).toMatchObject({ wabas: 0 });
      expect(await runRound(sut)).toMatchObject({ wabas: 5, succeeded: 5 });
    });
  });

  describe('with business tokens only', () => {
    let sut: TestApp;
    let organization: { id: string; key: string };

    beforeAll(async () => {
      // One attempt of at most a second per Graph call, so that the hanging WABA is given up quickly.
      sut = await createTestApp({
        env: { META_MAX_RETRIES: '0', META_REQUEST_TIMEOUT_MS: '1000', SYNC_CONCURRENCY: '4' },
      });
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
      organization = await sut.createOrganization('Tokens');
    });

    afterAll(async () => {
      await db.end();
      await sut.close();
    });

    beforeEach(async () => {
      await parkEveryWaba();
      sut.simulator.clearFaults();
      sut.simulator.clearRequests();
    });

    it('should batch the WABAs that share a business token, one business per multi-ID call', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 4,
        wabasPerBusiness: 30,
        tokens: 'shared',
      });
      const wabaIds = new Set(seeded.map((item) => item.wabaId));
      const businessOf = new Map(seeded.map((item) => [item.wabaId, item.businessId]));
      const tokenOf = new Map(seeded.map((item) => [item.businessId, sut.simulator.tokenId(item.token)]));

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 120, succeeded: 120, failed: 0, skipped: 0 });
      const fieldCalls = multiIdCalls(sut.simulator.requests, wabaIds);
      for (const call of fieldCalls) {
        const businesses = new Set((call.ids ?? []).map((id) => businessOf.get(id)));
        expect(businesses.size).toBe(1);
        expect(call.tokenKind).toBe('business');
        expect(call.tokenId).toBe(tokenOf.get([...businesses][0] as string));
      }
      expect(new Set(fieldCalls.flatMap((entry) => entry.ids ?? []))).toEqual(wabaIds);
      // Four tokens in claims of 50 ordered by token: at most one extra call per claim boundary.
      expect(fieldCalls.length).toBeGreaterThanOrEqual(4);
      expect(fieldCalls.length).toBeLessThanOrEqual(6);
      expect(sut.simulator.requests.filter((entry) => entry.path !== '/')).toEqual([]);
    });

    it('should pause a WABA Meta throttles until its regain time without failing the round', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 3,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      const throttled = seeded[1].wabaId;
      sut.simulator.injectFault({ path: `/${throttled}`, kind: 'throttle', regainMinutes: 30 });

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 3, succeeded: 2, failed: 0, skipped: 1 });
      const stored = await rows(seeded.map((item) => item.wabaId));
      const paused = stored.get(throttled) as WabaSyncRow;
      expect(paused.last_synced_at).toBeNull();
      expect(paused.last_sync_error_code).toBe('RATE_LIMITED');
      expect(paused.next_sync_at.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
      expect(paused.sync_claimed_by).toBeNull();
      for (const waba of [seeded[0], seeded[2]]) {
        expect(stored.get(waba.wabaId)?.last_synced_at).not.toBeNull();
      }

      // Next admin round: a full round reads the others again, but still leaves the throttled WABA alone
      // until Meta lets it back, and says so (skipped).
      sut.simulator.clearFaults();
      sut.simulator.clearRequests();
      const next = await runRound(sut);
      expect(next).toMatchObject({ wabas: 3, succeeded: 2, failed: 0, skipped: 1 });
      expect(callsFor(sut.simulator.requests, throttled)).toEqual([]);
      expect((await rows([throttled])).get(throttled)?.next_sync_at.getTime()).toBe(paused.next_sync_at.getTime());
      // The periodic round does not even claim it: it is not due before Meta's regain time.
      expect(await sut.app.get(StatusSyncJob).run()).toMatchObject({ wabas: 0 });
    });

    it('should not let a hanging WABA stop the others', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 6,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      const hanging = seeded[0].wabaId;
      sut.simulator.injectFault({ path: `/${hanging}`, kind: 'hang' });

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 6, succeeded: 5, failed: 1, skipped: 0 });
      const stored = await rows(seeded.map((item) => item.wabaId));
      const stuck = stored.get(hanging) as WabaSyncRow;
      expect(stuck).toMatchObject({ last_synced_at: null, sync_failure_count: 1, last_sync_error_code: 'TRANSIENT' });
      expect(stuck.next_sync_at.getTime()).toBeGreaterThan(Date.now());
      for (const waba of seeded.slice(1)) {
        expect(stored.get(waba.wabaId)?.last_synced_at).not.toBeNull();
      }
    });

    it('should mark a WABA whose token Meta rejects as REAUTH_REQUIRED and stop calling Meta for it', async () => {
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 2,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      const [rejected, healthy] = seeded;
      sut.simulator.invalidateToken(rejected.token);

      const round = await runRound(sut);

      expect(round).toMatchObject({ wabas: 2, succeeded: 1, failed: 1, skipped: 0 });
      const waba = await sut
        .http()
        .get(`/api/v1/wabas/${rejected.wabaId}`)
        .set('Authorization', `Bearer ${organization.key}`)
        .expect(200);
      expect(waba.body.connection).toBe('REAUTH_REQUIRED');

      // The next admin round reads every connected WABA, and the rejected one no longer is.
      sut.simulator.clearRequests();
      const next = await runRound(sut);
      expect(next).toMatchObject({ wabas: 1, succeeded: 1 });
      expect(callsFor(sut.simulator.requests, rejected.wabaId)).toEqual([]);
      expect(callsFor(sut.simulator.requests, healthy.wabaId).length).toBeGreaterThan(0);
    });
  });
});

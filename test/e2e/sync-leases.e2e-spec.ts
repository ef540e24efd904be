import { Client } from 'pg';

import { StatusSyncJob } from 'src/modules/scheduler/jobs/status-sync.job';
import { SyncRoundService } from 'src/modules/sync/sync-round.service';
import { seedConnectedWabas, type SeededWaba } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

interface RoundBody {
  wabas: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

/** Polls `probe` every 20 ms until it holds (at most `timeoutMs`). */
async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      throw new Error('Condition not met in time');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sync claims held while Meta is slow: two instances of the service on one database and one simulator,
 * reads slower than a claim's lease, and an instance that stalls past its lease while another takes its
 * WABA over.
 */
describe('Sync round leases (e2e)', () => {
  let db: Client;

  const fullRound = async (app: TestApp): Promise<RoundBody> =>
    (await app.http().post('/api/v1/admin/sync-rounds').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200))
      .body as RoundBody;

  const mmAudits = async (wabaIds: string[]): Promise<Array<{ waba_id: string; actor: string }>> =>
    (
      await db.query<{ waba_id: string; actor: string }>(
        `SELECT waba_id, actor FROM audit_events WHERE type = 'MM_LITE_STATUS_CHANGED' AND waba_id = ANY($1)
          ORDER BY waba_id`,
        [wabaIds],
      )
    ).rows;

  const claimOf = async (wabaId: string): Promise<string | null> =>
    (await db.query<{ by: string | null }>('SELECT sync_claimed_by AS by FROM wabas WHERE waba_id = $1', [wabaId]))
      .rows[0].by;

  /** WABAs whose portfolio reports its terms with the WABA, so a single read is two Graph calls. */
  const seed = async (app: TestApp, organizationId: string, count: number): Promise<SeededWaba[]> => {
    const seeded = await seedConnectedWabas(app.app, app.simulator, {
      organizationId,
      businesses: count,
      wabasPerBusiness: 1,
      tokens: 'per-waba',
    });
    for (const waba of seeded) {
      app.simulator.setBusinessTermsStatus(waba.businessId, 'TERM_OF_SERVICE_SIGNED');
      app.simulator.updateWaba(waba.wabaId, { marketingMessagesOnboardingStatus: 'ONBOARDED' });
    }
    return seeded;
  };

  describe('with a lease shorter than a read', () => {
    let sut: TestApp;
    let other: TestApp;

    beforeAll(async () => {
      // A lease of 2 s renewed every 0.67 s; 2.5 s per Graph call and four calls in flight, so two WABAs are
      // read at a time (two calls each) and the last ones wait 5 s in the queue: every claim outlives its
      // lease unless it is renewed.
      const env = { SYNC_CLAIM_LEASE_MS: '2000', SYNC_CONCURRENCY: '4', META_REQUEST_TIMEOUT_MS: '10000' };
      sut = await createTestApp({ env });
      other = await createTestApp({ databaseUrl: sut.databaseUrl, env }, sut.simulator);
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
    });

    afterAll(async () => {
      await db.end();
      await other.close();
      await sut.close();
    });

    it('should read and apply each due WABA once when a second instance runs its round while the first still reads', async () => {
      const organization = await sut.createOrganization('Slow Meta');
      const seeded = await seed(sut, organization.id, 6);
      const wabaIds = seeded.map((waba) => waba.wabaId);
      sut.simulator.setLatency(2500);
      try {
        // Every instance runs the periodic round; the second one's tick comes once the first has held its
        // claims for two leases.
        const first = sut.app.get(StatusSyncJob).run();
        await until(() => sut.simulator.requests.length > 0);
        await sleep(4500);
        const second = other.app.get(StatusSyncJob).run();
        const [mine, theirs] = (await Promise.all([first, second])) as RoundBody[];

        expect(mine.wabas + theirs.wabas).toBe(6);
        expect(mine.succeeded + theirs.succeeded).toBe(6);
        for (const wabaId of wabaIds) {
          // GET /{waba-id} once, by whichever instance held the claim.
          expect(sut.simulator.requests.filter((entry) => entry.path === `/${wabaId}`)).toHaveLength(1);
        }
        expect(await mmAudits(wabaIds)).toEqual(
          [...wabaIds].sort().map((wabaId) => ({ waba_id: wabaId, actor: 'system' })),
        );
        const claimed = await db.query('SELECT 1 FROM wabas WHERE sync_claimed_by IS NOT NULL');
        expect(claimed.rowCount).toBe(0);
      } finally {
        sut.simulator.setLatency(0);
      }
    });
  });

  describe('when an instance stalls past its lease and another takes its WABA over', () => {
    let sut: TestApp;
    let other: TestApp;

    beforeAll(async () => {
      // Default leases (60 s, renewed every 20 s): the test makes the first instance's claim run out itself.
      const env = { META_REQUEST_TIMEOUT_MS: '15000' };
      sut = await createTestApp({ env });
      other = await createTestApp({ databaseUrl: sut.databaseUrl, env }, sut.simulator);
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
    });

    afterAll(async () => {
      await db.end();
      await other.close();
      await sut.close();
    });

    it('should neither apply what it read nor release the claim of the instance that took over', async () => {
      const organization = await sut.createOrganization('Stalled instance');
      const [slow, fast] = await seed(sut, organization.id, 2);
      sut.simulator.setLatency(3000, `/${slow.wabaId}*`);

      const stalled = fullRound(sut);
      await until(() => sut.simulator.requests.filter((entry) => entry.path.startsWith(`/${slow.wabaId}`)).length >= 2);
      // The first instance's reads of the slow WABA are under way. It now stalls past its lease (its claim
      // runs out unrenewed), and the second instance's periodic round claims the WABA and reads it slower still.
      sut.simulator.setLatency(6000, `/${slow.wabaId}*`);
      await db.query("UPDATE wabas SET sync_claim_expires_at = now() - interval '1 second' WHERE waba_id = $1", [
        slow.wabaId,
      ]);
      const takingOver = other.app.get(StatusSyncJob).run();
      const takerId = other.app.get(SyncRoundService).instanceId;
      await until(async () => (await claimOf(slow.wabaId)) === takerId);

      const mine = await stalled;

      // The stalled instance read the slow WABA but counts and applies only the fast one, and leaves the
      // new holder's claim in place.
      expect(mine).toMatchObject({ wabas: 1, succeeded: 1, failed: 0 });
      expect(await claimOf(slow.wabaId)).toBe(takerId);
      expect(await mmAudits([slow.wabaId])).toEqual([]);
      expect(await mmAudits([fast.wabaId])).toEqual([{ waba_id: fast.wabaId, actor: 'admin' }]);

      // Meta changes while the new holder still reads: its reading, the newer one, is what is applied.
      sut.simulator.updateWaba(slow.wabaId, { marketingMessagesOnboardingStatus: 'PENDING_VALID_PAYMENT_METHOD' });
      expect(await takingOver).toMatchObject({ wabas: 1, succeeded: 1 });
      const stored = await db.query<{ meta: string; claimed: string | null }>(
        'SELECT mm_lite_meta_status AS meta, sync_claimed_by AS claimed FROM wabas WHERE waba_id = $1',
        [slow.wabaId],
      );
      expect(stored.rows[0]).toEqual({ meta: 'PENDING_VALID_PAYMENT_METHOD', claimed: null });
      expect(await mmAudits([slow.wabaId])).toEqual([{ waba_id: slow.wabaId, actor: 'system' }]);
    });
  });
});

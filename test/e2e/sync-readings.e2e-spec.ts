import { Client } from 'pg';

import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

interface StoredWaba {
  waba_id: string;
  name: string | null;
  currency: string | null;
  country: string | null;
  mm_lite_meta_status: string | null;
  mm_lite_status: string | null;
  health: unknown;
  last_synced_at: Date | null;
}

interface StoredPhone {
  phone_number_id: string;
  organization_id: string;
  waba_id: string;
  quality_rating: string | null;
  verified_name: string | null;
}

/**
 * What the sync applies from what Meta answers: only the fields the answer carries, and only to the numbers
 * of the WABA that was read. Business tokens only, so that a round reads WABAs sharing a token with
 * multi-ID calls and the others (and `POST /wabas/{id}/sync`) one by one.
 */
describe('Sync readings (e2e)', () => {
  let sut: TestApp;
  let db: Client;

  const wabaRows = async (wabaIds: string[]): Promise<Map<string, StoredWaba>> => {
    const result = await db.query<StoredWaba>(
      `SELECT waba_id, name, currency, country, mm_lite_meta_status, mm_lite_status::text AS mm_lite_status, health,
              last_synced_at
         FROM wabas WHERE waba_id = ANY($1)`,
      [wabaIds],
    );
    return new Map(result.rows.map((row) => [row.waba_id, row]));
  };

  const phoneRow = async (phoneNumberId: string): Promise<StoredPhone> => {
    const result = await db.query<StoredPhone>(
      `SELECT p.phone_number_id, p.organization_id, w.waba_id, p.quality_rating, p.verified_name
         FROM phone_numbers p JOIN wabas w ON w.id = p.waba_id WHERE p.phone_number_id = $1`,
      [phoneNumberId],
    );
    return result.rows[0];
  };

  const auditCount = async (column: 'waba_id' | 'phone_number_id', ids: string[]): Promise<number> => {
    const result = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM audit_events WHERE ${column} = ANY($1)`,
      [ids],
    );
    return result.rows[0].n;
  };

  const runRound = async (): Promise<Record<string, number>> => {
    const response = await sut
      .http()
      .post('/api/v1/admin/sync-rounds')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .expect(200);
    return response.body as Record<string, number>;
  };

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  beforeEach(async () => {
    // A full round reads every connected WABA: earlier tests' WABAs are taken out of the rounds.
    await db.query("UPDATE wabas SET connection = 'REAUTH_REQUIRED'");
    sut.simulator.clearFaults();
    sut.simulator.clearRequests();
  });

  describe('when Meta answers 200 without some fields', () => {
    it('should keep the fields a multi-ID read leaves out, and audit no change for them', async () => {
      const organization = await sut.createOrganization('Partial answers');
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 2,
        tokens: 'shared',
      });
      const wabaIds = seeded.map((waba) => waba.wabaId);
      const phoneIds = seeded.flatMap((waba) => waba.phoneNumberIds);
      sut.simulator.updateWaba(wabaIds[0], { marketingMessagesOnboardingStatus: 'ONBOARDED' });
      expect(await runRound()).toMatchObject({ wabas: 2, succeeded: 2 });
      const complete = await wabaRows(wabaIds);
      expect(complete.get(wabaIds[0])).toMatchObject({
        currency: 'USD',
        mm_lite_meta_status: 'ONBOARDED',
        mm_lite_status: 'ONBOARDED',
        health: expect.any(Object),
      });
      const qualityBefore = (await phoneRow(phoneIds[0])).quality_rating;
      expect(qualityBefore).not.toBeNull();
      const auditsBefore = await auditCount('waba_id', wabaIds);

      for (const wabaId of wabaIds) {
        sut.simulator.updateWaba(wabaId, { name: `Renamed ${wabaId}` });
      }
      // Every answer of the round (the multi-ID reads of the WABAs and of their numbers) lacks these.
      sut.simulator.injectFault({
        path: '',
        kind: 'partial',
        omitFields: [
          'currency',
          'marketing_messages_onboarding_status',
          'health_status',
          'owner_business_info',
          'quality_rating',
        ],
      });

      expect(await runRound()).toMatchObject({ wabas: 2, succeeded: 2, failed: 0 });

      expect(sut.simulator.requests.every((entry) => entry.path === '/')).toBe(true);
      const partial = await wabaRows(wabaIds);
      for (const wabaId of wabaIds) {
        const before = complete.get(wabaId) as StoredWaba;
        const after = partial.get(wabaId) as StoredWaba;
        // What the answer carried is applied; what it left out is as it was.
        expect(after.name).toBe(`Renamed ${wabaId}`);
        expect(after.last_synced_at?.getTime()).toBeGreaterThan(before.last_synced_at?.getTime() ?? 0);
        expect(after).toMatchObject({
          currency: before.currency,
          mm_lite_meta_status: before.mm_lite_meta_status,
          mm_lite_status: before.mm_lite_status,
          health: before.health,
        });
      }
      expect((await phoneRow(phoneIds[0])).quality_rating).toBe(qualityBefore);
      expect(await auditCount('waba_id', wabaIds)).toBe(auditsBefore);
    });

    it('should keep the fields a single read sends as null, and audit no change for them', async () => {
      const organization = await sut.createOrganization('Null answers');
      const [seeded] = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      sut.simulator.updateWaba(seeded.wabaId, { marketingMessagesOnboardingStatus: 'ONBOARDED' });
      const sync = () =>
        sut
          .http()
          .post(`/api/v1/wabas/${seeded.wabaId}/sync`)
          .set('Authorization', `Bearer ${organization.key}`)
          .expect(200);
      expect((await sync()).body).toMatchObject({ currency: 'USD', mmLiteStatus: 'ONBOARDED' });
      const complete = (await wabaRows([seeded.wabaId])).get(seeded.wabaId) as StoredWaba;
      const qualityBefore = (await phoneRow(seeded.phoneNumberIds[0])).quality_rating;
      const auditsBefore = await auditCount('waba_id', [seeded.wabaId]);

      sut.simulator.updateWaba(seeded.wabaId, { name: 'Renamed alone' });
      // GET /{waba-id} and GET /{waba-id}/phone_numbers; empty values are neither documented nor meaningful.
      sut.simulator.injectFault({
        path: `/${seeded.wabaId}`,
        kind: 'partial',
        nullFields: ['currency', 'marketing_messages_onboarding_status', 'health_status', 'quality_rating'],
        omitFields: ['country'],
      });

      const response = await sync();

      expect(response.body).toMatchObject({ name: 'Renamed alone', currency: 'USD', mmLiteStatus: 'ONBOARDED' });
      expect((await wabaRows([seeded.wabaId])).get(seeded.wabaId)).toMatchObject({
        name: 'Renamed alone',
        currency: complete.currency,
        country: complete.country,
        mm_lite_meta_status: 'ONBOARDED',
        health: complete.health,
      });
      expect((await phoneRow(seeded.phoneNumberIds[0])).quality_rating).toBe(qualityBefore);
      expect(await auditCount('waba_id', [seeded.wabaId])).toBe(auditsBefore);
    });
  });

  describe('when Meta lists a number under another organization’s WABA', () => {
    it('should change that number in neither organization, nor move it', async () => {
      const first = await sut.createOrganization('First tenant');
      const second = await sut.createOrganization('Second tenant');
      const [theirs] = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: first.id,
        businesses: 1,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      const [mine] = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: second.id,
        businesses: 1,
        wabasPerBusiness: 1,
        tokens: 'per-waba',
      });
      const moved = theirs.phoneNumberIds[0];
      const before = await phoneRow(moved);
      // Meta migrates the first tenant's number to the second tenant's WABA, where its fields then change.
      sut.simulator.movePhoneNumber(moved, mine.wabaId);
      sut.simulator.updatePhoneNumber(moved, { qualityRating: 'RED', verifiedName: 'Now elsewhere' });
      sut.simulator.updatePhoneNumber(mine.phoneNumberIds[0], { qualityRating: 'YELLOW' });

      // The second tenant's own re-sync, then a round: both list the moved number under the second WABA.
      await sut
        .http()
        .post(`/api/v1/wabas/${mine.wabaId}/sync`)
        .set('Authorization', `Bearer ${second.key}`)
        .expect(200);
      expect(sut.simulator.requests.some((entry) => entry.path === `/${mine.wabaId}/phone_numbers`)).toBe(true);
      expect(await runRound()).toMatchObject({ wabas: 2, succeeded: 2, failed: 0 });

      // The second tenant's own number is read as usual.
      expect((await phoneRow(mine.phoneNumberIds[0])).quality_rating).toBe('YELLOW');
      // The moved number is still the first tenant's, under its WABA, as last known; nothing audited about it.
      expect(await phoneRow(moved)).toEqual(before);
      expect(await auditCount('phone_number_id', [moved])).toBe(0);
      const listed = await sut.http().get('/api/v1/phone-numbers').set('Authorization', `Bearer ${second.key}`);
      expect(listed.body.data.map((phone: { phoneNumberId: string }) => phone.phoneNumberId)).toEqual(
        mine.phoneNumberIds,
      );
      await sut.http().get(`/api/v1/phone-numbers/${moved}`).set('Authorization', `Bearer ${second.key}`).expect(404);
    });
  });
});

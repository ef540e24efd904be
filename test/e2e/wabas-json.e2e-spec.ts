import { Pool } from 'pg';

import { connectNumber } from 'test/utils/connect-number';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

/**
 * The WABA list's and detail's JSON is written by PostgreSQL (WabaRepository.listJson, detailJson) and passed on
 * as it is: these checks hold it to what the service writes itself (the connect's and the sync's answers build
 * the same detail from the entity), value for value, whatever the stored text.
 */
describe('WABA list and detail shaped by PostgreSQL (e2e)', () => {
  let sut: TestApp;
  let pool: Pool;
  let org: { id: string; key: string };
  const wabaIds: string[] = [];

  const get = (path: string, key = org.key) => sut.http().get(path).set('Authorization', `Bearer ${key}`);

  beforeAll(async () => {
    sut = await createTestApp();
    pool = new Pool({ connectionString: sut.databaseUrl, max: 1 });
    org = await sut.createOrganization('Shaped');
    for (let index = 0; index < 3; index++) {
      wabaIds.push((await connectNumber(sut, org.key, { wabaName: `Shaped ${index}` })).wabaId);
    }
    wabaIds.sort();
  });

  afterAll(async () => {
    await pool.end();
    await sut.close();
  });

  it('should spell names, timestamps and counts as the detail does, escapes and microseconds included', async () => {
    const name = 'Quote " back\\slash \u00e9\u4e2d \ud83d\ude00 tab\t nl\n ctl\u0001';
    await pool.query(
      `UPDATE wabas SET name = $1, last_synced_at = '2026-12-04 22:00:00.123999+00', status_reason = 'BANNED',
              critical_alert = 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED'
        WHERE waba_id = $2`,
      [name, wabaIds[0]],
    );
    await pool.query(`UPDATE wabas SET last_synced_at = '2026-12-04 22:00:01+00' WHERE waba_id = $1`, [wabaIds[1]]);
    // The row's text follows its columns whoever writes them, and cannot be written past them.
    await pool.query('UPDATE wabas SET last_synced_at = NULL WHERE waba_id = $1', [wabaIds[2]]);
    await pool.query(`UPDATE wabas SET list_json = '{}' WHERE waba_id = $1`, [wabaIds[2]]);

    const list = await get('/api/v1/wabas').expect(200);
    expect(list.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(list.headers.etag).toMatch(/^W\/"/);
    expect(Number(list.headers['content-length'])).toBe(Buffer.byteLength(list.text));
    const unchanged = await get('/api/v1/wabas').set('If-None-Match', list.headers.etag).expect(304);
    expect(unchanged.text).toBe('');
    await get('/api/v1/wabas').set('If-None-Match', 'W/"other"').expect(200);
    const rows = (list.body as { data: Array<Record<string, unknown>> }).data;
    expect(rows.map((row) => row.wabaId)).toEqual(wabaIds);
    expect(rows[0]).toMatchObject({
      name,
      lastSyncedAt: '2026-12-04T22:00:00.123Z',
      statusReason: 'BANNED',
      criticalAlert: 'INCREASED_CAPABILITIES_ELIGIBILITY_FAILED',
      associatedNumbers: 1,
    });
    expect(rows[1]?.lastSyncedAt).toBe('2026-12-04T22:00:01.000Z');
    expect(rows[2]?.lastSyncedAt).toBeNull();
    for (const row of rows) {
      const detail = await get(`/api/v1/wabas/${String(row.wabaId)}`).expect(200);
      const shared = Object.fromEntries(
        Object.keys(row).map((key) => [key, (detail.body as Record<string, unknown>)[key]]),
      );
      expect(row).toEqual(shared);
    }
  });

  it('should cut the extra row off a full page and point the cursor at the last row shown', async () => {
    const first = await get('/api/v1/wabas?limit=2').expect(200);
    expect((first.body.data as Array<{ wabaId: string }>).map((row) => row.wabaId)).toEqual(wabaIds.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await get(`/api/v1/wabas?limit=2&cursor=${String(first.body.nextCursor)}`).expect(200);
    expect(second.body).toEqual({ data: [expect.objectContaining({ wabaId: wabaIds[2] })], nextCursor: null });
    const exact = await get('/api/v1/wabas?limit=3').expect(200);
    expect(exact.body.data).toHaveLength(3);
    expect(exact.body.nextCursor).toBeNull();
  });

  it('should answer an empty page as an empty list, and an organization sees only its own', async () => {
    const other = await sut.createOrganization('Empty');
    const empty = await get('/api/v1/wabas', other.key).expect(200);
    expect(empty.body).toEqual({ data: [], nextCursor: null });
    const filtered = await get('/api/v1/wabas?status=DISABLED').expect(200);
    expect(filtered.body).toEqual({ data: [], nextCursor: null });
  });

  it("should answer the detail as the sync's answer builds it from the entity, alerts, health and escapes included", async () => {
    const wabaId = wabaIds[1];
    await pool.query(
      `INSERT INTO waba_alerts (id, organization_id, waba_id, entity_type, entity_id, alert_type, severity, status,
                                description, occurred_at, received_at)
       SELECT gen_random_uuid(), w.organization_id, w.id, 'WABA', w.waba_id, t.type, t.severity, t.status, t.description,
              t.occurred_at, now()
         FROM wabas w,
              (VALUES ('OLD_RESOLVED', 'INFO', 'RESOLVED', NULL, timestamptz '2026-12-04 20:00:00.999999+00'),
                      ('NEW_ACTIVE', 'CRITICAL', 'ACTIVE', 'Say "hi" \\ ok', timestamptz '2026-12-04 21:00:00.5+00'),
                      ('OLDER_ACTIVE', 'WARNING', 'ACTIVE', 'x', timestamptz '2026-12-03 21:00:00+00'))
                AS t(type, severity, status, description, occurred_at)
        WHERE w.waba_id = $1`,
      [wabaId],
    );
    const synced = await sut
      .http()
      .post(`/api/v1/wabas/${wabaId}/sync`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(200);
    const detail = await get(`/api/v1/wabas/${wabaId}`).expect(200);
    expect(detail.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(detail.body).toEqual(synced.body);
    const alerts = (detail.body as { alerts: Array<{ type: string; occurredAt: string }> }).alerts;
    expect(alerts.map((alert) => alert.type)).toEqual(['NEW_ACTIVE', 'OLDER_ACTIVE', 'OLD_RESOLVED']);
    expect(alerts[2]?.occurredAt).toBe('2026-12-04T20:00:00.999Z');
    expect(Object.keys(detail.body as object)).toEqual(Object.keys(synced.body as object));
    const listed = (await get('/api/v1/wabas').expect(200)).body as { data: Array<Record<string, unknown>> };
    const row = listed.data.find((entry) => entry.wabaId === wabaId) as Record<string, unknown>;
    expect(row).toEqual(Object.fromEntries(Object.keys(row).map((key) => [key, (synced.body as never)[key]])));
    await get('/api/v1/wabas/999999999999999').expect(404);
  });
});

import { Client } from 'pg';

import { createTestApp, type TestApp } from 'test/utils/create-test-app';

/** Waits until `count` batched reads (the list's and the detail's: two of each at most) wait for a lock. */
async function waitForLockedReads(client: Client, count: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    // Inside the locking transaction PostgreSQL would answer the same snapshot of the view every time.
    await client.query('SELECT pg_stat_clear_snapshot()');
    const { rows } = await client.query<{ waiting: number }>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND datname = current_database() AND query LIKE 'SELECT q.i::int AS i,%'`,
    );
    if (rows[0].waiting >= count) {
      return;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
  throw new Error(`fewer than ${count} reads waited for the lock`);
}

describe('WABA accounts list, detail and sync (e2e)', () => {
  let sut: TestApp;
  let org: { id: string; key: string };
  const sessions: Array<{ code: string; wabaId: string; phoneNumberId: string; businessId: string }> = [];

  const get = (path: string, key = org.key) => sut.http().get(path).set('Authorization', `Bearer ${key}`);

  beforeAll(async () => {
    sut = await createTestApp();
    org = await sut.createOrganization('Lister');
    for (let index = 0; index < 7; index++) {
      const session = sut.simulator.createSignupSession({
        wabaName: index % 2 === 0 ? `Garden ${index}` : `Bakery ${index}`,
      });
      sessions.push(session);
      await sut
        .http()
        .post('/api/v1/phone-numbers')
        .set('Authorization', `Bearer ${org.key}`)
        .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
        .expect(201);
    }
  });

  afterAll(async () => {
    await sut.close();
  });

  it("should list every WABA exactly once across pages, with the guide's columns", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: { body: { data: Array<Record<string, unknown>>; nextCursor: string | null } } = await get(
        `/api/v1/wabas?limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      for (const row of response.body.data) {
        expect(Object.keys(row).sort()).toEqual(
          [
            'associatedNumbers',
            'connection',
            'criticalAlert',
            'lastSyncedAt',
            'mmLiteStatus',
            'name',
            'status',
            'statusReason',
            'wabaId',
          ].sort(),
        );
        seen.push(String(row.wabaId));
      }
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual(sessions.map((session) => session.wabaId).sort());
  });

  it('should filter by name or ID, by status and by MM Lite status', async () => {
    const bakeries = await get('/api/v1/wabas?q=bakery').expect(200);
    expect(bakeries.body.data).toHaveLength(3);
    const byId = await get(`/api/v1/wabas?q=${sessions[0]?.wabaId}`).expect(200);
    expect(byId.body.data.map((row: { wabaId: string }) => row.wabaId)).toEqual([sessions[0]?.wabaId]);

    const notStarted = await get('/api/v1/wabas?mmLiteStatus=NOT_STARTED').expect(200);
    expect(notStarted.body.data).toHaveLength(7);
    await get('/api/v1/wabas?mmLiteStatus=ONBOARDED')
      .expect(200)
      .expect((response) => expect(response.body.data).toEqual([]));
    await get('/api/v1/wabas?status=DISABLED')
      .expect(200)
      .expect((response) => expect(response.body.data).toEqual([]));
    const wildcard = await get('/api/v1/wabas?q=%25').expect(200);
    expect(wildcard.body.data).toEqual([]);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=abc', 'limit'],
    ['cursor=%%%', 'cursor'],
    ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
    ['status=BROKEN', 'status'],
    ['mmLiteStatus=MAYBE', 'mmLiteStatus'],
    ['unknown=1', 'unknown'],
  ])('should refuse ?%s with a problem naming %s', async (query, field) => {
    const response = await get(`/api/v1/wabas?${query}`).expect(400);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('should show the detail of a WABA with Meta fields and MM Lite state', async () => {
    const session = sessions[1];
    const response = await get(`/api/v1/wabas/${session?.wabaId}`).expect(200);
    expect(response.body).toMatchObject({
      wabaId: session?.wabaId,
      name: 'Bakery 1',
      status: 'ACTIVE',
      associatedNumbers: 1,
      connection: 'CONNECTED',
      currency: expect.any(String),
      mmLite: { metaStatus: expect.any(String), setupStartedAt: null, lastCheckedAt: expect.any(String) },
    });
  });

  it('should pick up changes made at Meta on an on-demand sync, and audit them', async () => {
    const session = sessions[2];
    sut.simulator.updateWaba(session?.wabaId, { name: 'Garden Renamed', status: 'DISABLED' });
    sut.simulator.updatePhoneNumber(session?.phoneNumberId, { qualityRating: 'RED' });

    const synced = await sut
      .http()
      .post(`/api/v1/wabas/${session?.wabaId}/sync`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(200);
    expect(synced.body).toMatchObject({
      name: 'Garden Renamed',
      status: 'DISABLED',
      statusReason: 'META_STATUS_DISABLED',
    });

    const number = await get(`/api/v1/phone-numbers/${session?.phoneNumberId}`).expect(200);
    expect(number.body.qualityRating).toBe('RED');
    const audit = await get(`/api/v1/audit-events?wabaId=${session?.wabaId}`).expect(200);
    const types = audit.body.data.map((event: { type: string }) => event.type);
    expect(types).toEqual(expect.arrayContaining(['WABA_STATUS_CHANGED', 'PHONE_NUMBER_UPDATED']));
    const statusChange = audit.body.data.find((event: { type: string }) => event.type === 'WABA_STATUS_CHANGED');
    // Meta disabled it; the key only asked for the read.
    expect(statusChange).toMatchObject({
      source: 'SYNC',
      actor: expect.stringMatching(/^api-key:/),
      before: { status: 'ACTIVE', statusReason: null },
      after: { status: 'DISABLED', statusReason: 'META_STATUS_DISABLED' },
    });
    const disabled = await get('/api/v1/wabas?status=DISABLED').expect(200);
    expect(disabled.body.data.map((row: { wabaId: string }) => row.wabaId)).toEqual([session?.wabaId]);
  });

  it('should mark the connection REAUTH_REQUIRED when Meta rejects the token, and stop calling Meta', async () => {
    const session = sessions[3];
    sut.simulator.injectFault({ path: `/${session?.wabaId}`, kind: 'expired_token' });
    const rejected = await sut
      .http()
      .post(`/api/v1/wabas/${session?.wabaId}/sync`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(409);
    expect(rejected.body.code).toBe('REAUTH_REQUIRED');
    sut.simulator.clearFaults();

    const detail = await get(`/api/v1/wabas/${session?.wabaId}`).expect(200);
    expect(detail.body).toMatchObject({ connection: 'REAUTH_REQUIRED', status: 'ACTIVE' });
    sut.simulator.clearRequests();
    await sut
      .http()
      .post(`/api/v1/wabas/${session?.wabaId}/sync`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(409);
    expect(sut.simulator.requests).toHaveLength(0);

    const renewal = sut.simulator.createSignupSession({ existingWabaId: session?.wabaId });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${org.key}`)
      .send({ code: renewal.code, wabaId: renewal.wabaId, phoneNumberId: session?.phoneNumberId })
      .expect(200);
    const healed = await get(`/api/v1/wabas/${session?.wabaId}`).expect(200);
    expect(healed.body.connection).toBe('CONNECTED');
    const audit = await get(`/api/v1/audit-events?wabaId=${session?.wabaId}&type=CONNECTION_CHANGED`).expect(200);
    expect(audit.body.data.map((event: { after: { connection: string } }) => event.after.connection)).toEqual([
      'CONNECTED',
      'REAUTH_REQUIRED',
    ]);
    // Meta refused the token during the read the key asked for; the key re-authorized by signing up again.
    expect(audit.body.data.map((event: { source: string }) => event.source)).toEqual(['API', 'SYNC']);
    expect(audit.body.data[1].actor).toMatch(/^api-key:/);
  });

  it('should answer 502 for a Meta outage on sync and keep the stored state', async () => {
    const session = sessions[4];
    sut.simulator.injectFault({ path: `/${session?.wabaId}`, kind: 'http500' });
    const response = await sut
      .http()
      .post(`/api/v1/wabas/${session?.wabaId}/sync`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(502);
    expect(response.body.code).toBe('META_UNAVAILABLE');
    sut.simulator.clearFaults();
    const detail = await get(`/api/v1/wabas/${session?.wabaId}`).expect(200);
    expect(detail.body).toMatchObject({ status: 'ACTIVE', connection: 'CONNECTED' });
  });

  it("should answer 404 for another organization's WABA and number on every endpoint", async () => {
    const intruder = await sut.createOrganization('Intruder');
    const { wabaId, phoneNumberId } = sessions[0] as { wabaId: string; phoneNumberId: string };
    const auth = { Authorization: `Bearer ${intruder.key}` };
    const calls = [
      sut.http().get(`/api/v1/wabas/${wabaId}`).set(auth),
      sut.http().post(`/api/v1/wabas/${wabaId}/sync`).set(auth),
      sut.http().get(`/api/v1/wabas/${wabaId}/mm-lite`).set(auth),
      sut.http().post(`/api/v1/wabas/${wabaId}/mm-lite/setup`).set(auth),
      sut.http().post(`/api/v1/wabas/${wabaId}/mm-lite/refresh`).set(auth),
      sut.http().get(`/api/v1/phone-numbers/${phoneNumberId}`).set(auth),
      sut.http().patch(`/api/v1/phone-numbers/${phoneNumberId}`).set(auth).send({ sendingChannel: 'CLOUD_API' }),
      sut.http().post(`/api/v1/phone-numbers/${phoneNumberId}/register`).set(auth),
      sut
        .http()
        .post(`/api/v1/phone-numbers/${phoneNumberId}/marketing-messages`)
        .set(auth)
        .send({ to: '+447700900123', template: { name: 'promo', language: 'en_US' } }),
    ];
    sut.simulator.clearRequests();
    for (const response of await Promise.all(calls)) {
      expect({ status: response.status, code: response.body.code }).toMatchObject({
        status: 404,
        code: 'NOT_FOUND',
      });
    }
    // Background work (webhook reactions, retries) may touch other WABAs meanwhile; none may touch these.
    expect(
      sut.simulator.requests.filter((entry) => entry.path.includes(wabaId) || entry.path.includes(phoneNumberId)),
    ).toEqual([]);
    const lists = await Promise.all([
      sut.http().get('/api/v1/wabas').set(auth),
      sut.http().get('/api/v1/phone-numbers').set(auth),
      sut.http().get(`/api/v1/phone-numbers?wabaId=${wabaId}`).set(auth),
      sut.http().get(`/api/v1/audit-events?wabaId=${wabaId}`).set(auth),
    ]);
    for (const response of lists) {
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual([]);
    }
  });

  it('should answer concurrent lists and details of two organizations each with its own WABAs', async () => {
    // Concurrent pages and details share statements (WabaRepository: BatchedRead); each keeps its organization.
    // A lock on the table holds the first statements, so that the requests behind them go together, mixed.
    const other = await sut.createOrganization('Neighbour');
    const own = sessions.map((session) => session.wabaId).sort();
    const mine = { Authorization: `Bearer ${org.key}` };
    const theirs = { Authorization: `Bearer ${other.key}` };
    const firstPage = await get('/api/v1/wabas?limit=3').expect(200);
    const cursor = (firstPage.body as { nextCursor: string }).nextCursor;
    const locker = new Client({ connectionString: sut.databaseUrl });
    await locker.connect();
    let answers: Array<Array<{ status: number; body: Record<string, unknown> }>>;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE wabas IN ACCESS EXCLUSIVE MODE');
      const pending = Promise.all(
        Array.from({ length: 12 }, (_, index) => {
          const auth = index % 2 === 0 ? mine : theirs;
          return Promise.all([
            sut.http().get('/api/v1/wabas').set(auth),
            sut.http().get(`/api/v1/wabas?limit=3&cursor=${cursor}`).set(auth),
            sut
              .http()
              .get(`/api/v1/wabas/${own[index % own.length]}`)
              .set(auth),
          ]);
        }),
      );
      await waitForLockedReads(locker, 4);
      await new Promise((resolveWait) => setTimeout(resolveWait, 300));
      await locker.query('COMMIT');
      answers = await pending;
    } finally {
      await locker.end();
    }

    answers.forEach(([list, nextPage, detail], index) => {
      const ids = (response: { body: Record<string, unknown> }): string[] =>
        (response.body.data as Array<{ wabaId: string }>).map((row) => row.wabaId);
      if (index % 2 === 0) {
        expect(ids(list)).toEqual(own);
        expect(ids(nextPage)).toEqual(own.slice(3, 6));
        expect(detail.status).toBe(200);
        expect(detail.body.wabaId).toBe(own[index % own.length]);
      } else {
        expect(list.body).toEqual({ data: [], nextCursor: null });
        expect(nextPage.body).toEqual({ data: [], nextCursor: null });
        expect(detail.status).toBe(404);
      }
    });
  });

  it('should list phone numbers with WABA and channel filters and pagination', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { body: { data: Array<{ phoneNumberId: string }>; nextCursor: string | null } } = await get(
        `/api/v1/phone-numbers?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      ).expect(200);
      all.push(...response.body.data.map((row: { phoneNumberId: string }) => row.phoneNumberId));
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(all.sort()).toEqual(sessions.map((session) => session.phoneNumberId).sort());

    const ofWaba = await get(`/api/v1/phone-numbers?wabaId=${sessions[5]?.wabaId}`).expect(200);
    expect(ofWaba.body.data).toEqual([
      expect.objectContaining({ phoneNumberId: sessions[5]?.phoneNumberId, wabaId: sessions[5]?.wabaId }),
    ]);
    const mmLite = await get('/api/v1/phone-numbers?sendingChannel=MM_LITE').expect(200);
    expect(mmLite.body.data).toEqual([]);
  });
});

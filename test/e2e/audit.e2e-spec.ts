import { createHash } from 'node:crypto';

import { Client } from 'pg';

import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

type AuditRecord = {
  id: string;
  type: string;
  wabaId: string | null;
  phoneNumberId: string | null;
  source: string;
  actor: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  occurredAt: string;
};
type Connected = { key: string; wabaId: string; phoneNumberId: string };

const WAIT_LIMIT_MS = 10_000;

describe('Audit events (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let alice: Connected;
  let aliceSecond: Connected;
  let bob: Connected;

  const list = (key: string, query: Record<string, string | number> = {}) =>
    sut.http().get('/api/v1/audit-events').query(query).set('Authorization', `Bearer ${key}`);

  /** Every record the filter selects, walking the cursor with the given page size. */
  const walk = async (key: string, query: Record<string, string>, limit: number): Promise<AuditRecord[]> => {
    const seen: AuditRecord[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const response = await list(key, { ...query, limit, ...(cursor ? { cursor } : {}) }).expect(200);
      const body = response.body as { data: AuditRecord[]; nextCursor: string | null };
      expect(body.data.length).toBeLessThanOrEqual(limit);
      seen.push(...body.data);
      cursor = body.nextCursor;
      if (!cursor) {
        return seen;
      }
    }
    throw new Error('pagination did not end');
  };

  const connect = async (key: string, wabaName: string, existingWabaId?: string): Promise<Connected> => {
    const session = sut.simulator.createSignupSession({ wabaName, existingWabaId });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { key, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
  };

  /** Sends the simulator's signed webhook for the event and waits until the inbox processed it. */
  const webhook = async (
    wabaId: string,
    type: 'DISABLE' | 'REINSTATE' | 'SCHEDULE_FOR_DISABLE' | 'QUALITY_CHANGED',
  ) => {
    const delivery = await sut.simulator.applyEvent(wabaId, type);
    expect(delivery?.status).toBe(200);
    const sha = createHash('sha256')
      .update(delivery?.body ?? '', 'utf8')
      .digest('hex');
    const deadline = Date.now() + WAIT_LIMIT_MS;
    let status: string | undefined;
    while (Date.now() < deadline) {
      status = (await db.query('SELECT status FROM webhook_inbox WHERE payload_sha256 = $1', [sha])).rows[0]?.status;
      if (status === 'DONE') {
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(status).toBe('DONE');
  };

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();

    const aliceOrg = await sut.createOrganization('Alice');
    const bobOrg = await sut.createOrganization('Bob');
    alice = await connect(aliceOrg.key, 'Alice Main');
    aliceSecond = await connect(aliceOrg.key, 'Alice Second');
    bob = await connect(bobOrg.key, 'Bob Main');

    // API: the connections; WEBHOOK: ban, reinstate, warning, quality; SYNC: a re-sync round.
    await webhook(alice.wabaId, 'DISABLE');
    await webhook(alice.wabaId, 'REINSTATE');
    await webhook(alice.wabaId, 'SCHEDULE_FOR_DISABLE');
    await webhook(alice.wabaId, 'QUALITY_CHANGED');
    await webhook(bob.wabaId, 'DISABLE');
    sut.simulator.updateWaba(aliceSecond.wabaId, { status: 'SUSPENDED' });
    await sut.http().post('/api/v1/admin/sync-rounds').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200);
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  it('should list the organization’s records newest first with the contract’s shape', async () => {
    const response = await list(alice.key).expect(200);
    const records = response.body.data as AuditRecord[];
    expect(records.length).toBeGreaterThanOrEqual(8);
    for (const record of records) {
      expect(record).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: expect.any(String),
        wabaId: expect.any(String),
        phoneNumberId: record.phoneNumberId === null ? null : expect.any(String),
        source: expect.stringMatching(/^(API|WEBHOOK|SYNC)$/),
        actor: expect.any(String),
        before: record.before === null ? null : expect.any(Object),
        after: expect.any(Object),
        occurredAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      });
    }
    const times = records.map((record) => Date.parse(record.occurredAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('should record every status change from each source with before, after, actor and time', async () => {
    const records = (await list(alice.key, { limit: 100 }).expect(200)).body.data as AuditRecord[];
    const sources = new Set(records.map((record) => record.source));
    expect([...sources].sort()).toEqual(['API', 'SYNC', 'WEBHOOK']);

    const banned = records.find(
      (record) => record.type === 'WABA_STATUS_CHANGED' && record.after?.statusReason === 'BANNED',
    );
    expect(banned).toMatchObject({
      wabaId: alice.wabaId,
      source: 'WEBHOOK',
      actor: 'meta-webhook',
      before: { status: 'ACTIVE', statusReason: null },
      after: { status: 'DISABLED', statusReason: 'BANNED' },
    });
    const synced = records.find(
      (record) =>
        record.source === 'SYNC' && record.type === 'WABA_STATUS_CHANGED' && record.wabaId === aliceSecond.wabaId,
    );
    expect(synced).toMatchObject({
      type: 'WABA_STATUS_CHANGED',
      after: { status: 'DISABLED', statusReason: 'META_STATUS_SUSPENDED' },
    });
    expect(records.find((record) => record.type === 'WABA_CONNECTED')).toMatchObject({
      source: 'API',
      actor: expect.stringMatching(/^api-key:/),
      before: null,
    });
  });

  it('should filter by WABA, phone number and type, alone and combined', async () => {
    const all = (await list(alice.key, { limit: 100 }).expect(200)).body.data as AuditRecord[];

    const byWaba = (await list(alice.key, { wabaId: aliceSecond.wabaId, limit: 100 }).expect(200)).body
      .data as AuditRecord[];
    expect(byWaba.length).toBeGreaterThan(0);
    expect(byWaba).toEqual(all.filter((record) => record.wabaId === aliceSecond.wabaId));

    const byPhone = (await list(alice.key, { phoneNumberId: alice.phoneNumberId, limit: 100 }).expect(200)).body
      .data as AuditRecord[];
    expect(byPhone.map((record) => record.type)).toEqual(
      expect.arrayContaining(['PHONE_NUMBER_ADDED', 'PHONE_NUMBER_UPDATED']),
    );
    expect(byPhone).toEqual(all.filter((record) => record.phoneNumberId === alice.phoneNumberId));

    const byType = (await list(alice.key, { type: 'WABA_STATUS_CHANGED', limit: 100 }).expect(200)).body
      .data as AuditRecord[];
    expect(byType).toHaveLength(4); // ban, reinstate, warning (webhooks) and the SYNC suspension
    expect(byType).toEqual(all.filter((record) => record.type === 'WABA_STATUS_CHANGED'));

    const combined = (
      await list(alice.key, { wabaId: alice.wabaId, type: 'WABA_STATUS_CHANGED', limit: 100 }).expect(200)
    ).body.data as AuditRecord[];
    expect(combined).toHaveLength(3);
    expect(combined.every((record) => record.source === 'WEBHOOK')).toBe(true);

    const none = await list(alice.key, { wabaId: alice.wabaId, type: 'SENDING_CHANNEL_CHANGED' }).expect(200);
    expect(none.body).toEqual({ data: [], nextCursor: null });
  });

  it.each([1, 2, 3, 7])('should return every row exactly once when paging by %i', async (limit) => {
    const everything = (await list(alice.key, { limit: 100 }).expect(200)).body.data as AuditRecord[];
    const walked = await walk(alice.key, {}, limit);
    expect(walked.map((record) => record.id)).toEqual(everything.map((record) => record.id));
    expect(new Set(walked.map((record) => record.id)).size).toBe(walked.length);

    const filtered = await walk(alice.key, { wabaId: alice.wabaId }, limit);
    expect(filtered.map((record) => record.id)).toEqual(
      everything.filter((record) => record.wabaId === alice.wabaId).map((record) => record.id),
    );
  });

  it('should keep pages stable when records are added between pages', async () => {
    const first = await list(alice.key, { limit: 2 }).expect(200);
    await webhook(alice.wabaId, 'REINSTATE');
    const rest = await walk(alice.key, {}, 100);
    const second = await list(alice.key, { limit: 100, cursor: first.body.nextCursor as string }).expect(200);
    const ids = [...(first.body.data as AuditRecord[]), ...(second.body.data as AuditRecord[])].map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    // Everything older than the first page is still reached exactly once.
    expect(ids).toEqual(
      rest
        .map((record) => record.id)
        .filter((id) => ids.includes(id))
        .slice(0, ids.length),
    );
  });

  it('should scope records to the organization: another organization’s WABA filters to nothing', async () => {
    const aliceRecords = await walk(alice.key, {}, 100);
    const bobRecords = await walk(bob.key, {}, 100);
    expect(bobRecords.length).toBeGreaterThanOrEqual(3);
    expect(bobRecords.every((record) => record.wabaId === bob.wabaId)).toBe(true);
    expect(aliceRecords.some((record) => record.wabaId === bob.wabaId)).toBe(false);

    const peek = await list(bob.key, { wabaId: alice.wabaId }).expect(200);
    expect(peek.body).toEqual({ data: [], nextCursor: null });
    const peekPhone = await list(alice.key, { phoneNumberId: bob.phoneNumberId }).expect(200);
    expect(peekPhone.body).toEqual({ data: [], nextCursor: null });

    // A cursor from Alice's listing reveals nothing of Alice to Bob.
    const aliceCursor = (await list(alice.key, { limit: 1 }).expect(200)).body.nextCursor as string;
    const withForeignCursor = (await list(bob.key, { cursor: aliceCursor, limit: 100 }).expect(200)).body
      .data as AuditRecord[];
    expect(withForeignCursor.every((record) => record.wabaId === bob.wabaId)).toBe(true);
  });

  describe('changes Meta made, found by a read a key asked for', () => {
    let carol: Connected;
    let carolActor: string;

    beforeAll(async () => {
      // An organization of its own, so that Alice's and Bob's trails above stay as they are.
      const organization = await sut.createOrganization('Carol');
      carol = await connect(organization.key, 'Carol Main');
      const keys = await sut
        .http()
        .get('/api/v1/organization/api-keys')
        .set('Authorization', `Bearer ${carol.key}`)
        .expect(200);
      carolActor = `api-key:${(keys.body.data as Array<{ id: string }>)[0].id}`;
    });

    it('should audit a status change found by POST /wabas/{id}/sync as SYNC with the key as actor', async () => {
      sut.simulator.updateWaba(carol.wabaId, { status: 'SUSPENDED' });

      await sut
        .http()
        .post(`/api/v1/wabas/${carol.wabaId}/sync`)
        .set('Authorization', `Bearer ${carol.key}`)
        .expect(200);

      const records = (
        await list(carol.key, { wabaId: carol.wabaId, type: 'WABA_STATUS_CHANGED', limit: 100 }).expect(200)
      ).body.data as AuditRecord[];
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        source: 'SYNC',
        actor: carolActor,
        before: { status: 'ACTIVE', statusReason: null },
        after: { status: 'DISABLED', statusReason: 'META_STATUS_SUSPENDED' },
      });
    });

    it('should audit what POST …/mm-lite/refresh finds as SYNC with the key as actor, and setup as API', async () => {
      await sut
        .http()
        .post(`/api/v1/wabas/${carol.wabaId}/mm-lite/setup`)
        .set('Authorization', `Bearer ${carol.key}`)
        .expect(200);
      sut.simulator.updateWaba(carol.wabaId, {
        status: 'PENDING_DELETION',
        marketingMessagesOnboardingStatus: 'ONBOARDED',
      });

      await sut
        .http()
        .post(`/api/v1/wabas/${carol.wabaId}/mm-lite/refresh`)
        .set('Authorization', `Bearer ${carol.key}`)
        .expect(200);

      const mmLite = (
        await list(carol.key, { wabaId: carol.wabaId, type: 'MM_LITE_STATUS_CHANGED', limit: 100 }).expect(200)
      ).body.data as AuditRecord[];
      expect(mmLite.map((record) => [record.source, record.actor, record.after?.mmLiteStatus])).toEqual([
        ['SYNC', carolActor, 'ONBOARDED'],
        ['API', carolActor, 'NOT_ONBOARDED'],
      ]);
      const status = (
        await list(carol.key, { wabaId: carol.wabaId, type: 'WABA_STATUS_CHANGED', limit: 1 }).expect(200)
      ).body.data as AuditRecord[];
      expect(status[0]).toMatchObject({
        source: 'SYNC',
        actor: carolActor,
        after: { status: 'DISABLED', statusReason: 'META_STATUS_PENDING_DELETION' },
      });
    });
  });

  it('should answer 401 without a key', async () => {
    const response = await sut.http().get('/api/v1/audit-events').expect(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });

  it.each([
    [{ type: 'NOPE' }, 'type'],
    [{ wabaId: 'abc' }, 'wabaId'],
    [{ phoneNumberId: '12x' }, 'phoneNumberId'],
    [{ limit: 0 }, 'limit'],
    [{ limit: 101 }, 'limit'],
    [{ limit: 'many' }, 'limit'],
    [{ cursor: 'not-a-cursor' }, 'cursor'],
    [{ cursor: Buffer.from(JSON.stringify(['yesterday', 'x'])).toString('base64url') }, 'cursor'],
    [{ cursor: Buffer.from(JSON.stringify([new Date().toISOString(), 'not-a-uuid'])).toString('base64url') }, 'cursor'],
    [{ unknown: 'x' }, 'unknown'],
  ])('should answer 400 naming the field for %j', async (query, field) => {
    const response = await list(alice.key, query as Record<string, string>).expect(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
  });
});

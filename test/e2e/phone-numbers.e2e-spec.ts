import { Client } from 'pg';

import { RegistrationService } from 'src/modules/phone-numbers/registration.service';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { dropTestDatabase } from 'test/utils/test-database';

type Session = { code: string; wabaId: string; phoneNumberId: string; businessId: string };

describe('Connecting phone numbers through Embedded Signup (e2e)', () => {
  let sut: TestApp;
  let org: { id: string; key: string };

  const connect = (key: string, session: Partial<Session>) =>
    sut.http().post('/api/v1/phone-numbers').set('Authorization', `Bearer ${key}`).send({
      code: session.code,
      wabaId: session.wabaId,
      phoneNumberId: session.phoneNumberId,
    });
  const get = (key: string, path: string) => sut.http().get(path).set('Authorization', `Bearer ${key}`);
  const callsTo = (pathPart: string, method?: string) =>
    sut.simulator.requests.filter((entry) => entry.path.includes(pathPart) && (!method || entry.method === method));

  beforeAll(async () => {
    sut = await createTestApp();
    org = await sut.createOrganization('Connectors');
  });

  afterAll(async () => {
    // After the restart test `sut` runs on the first app's database and simulator: release both here.
    await sut.close();
    await sut.simulator.stop();
    await dropTestDatabase(sut.databaseUrl);
  });

  beforeEach(() => {
    sut.simulator.clearFaults();
    sut.simulator.clearRequests();
  });

  it('should connect a number and its WABA, calling exchange, debug_token, subscribe and register with a 6-digit PIN', async () => {
    const session = sut.simulator.createSignupSession({ wabaName: 'Lucky Shrub' });
    const response = await connect(org.key, session).expect(201);

    expect(response.body.phoneNumber).toMatchObject({
      phoneNumberId: session.phoneNumberId,
      wabaId: session.wabaId,
      sendingChannel: 'CLOUD_API',
      registration: { status: 'REGISTERED', error: null },
    });
    expect(response.body.waba).toMatchObject({
      wabaId: session.wabaId,
      name: 'Lucky Shrub',
      status: 'ACTIVE',
      statusReason: null,
      mmLiteStatus: null,
      associatedNumbers: 1,
      connection: 'CONNECTED',
    });
    expect(callsTo('/oauth/access_token', 'GET')).toHaveLength(1);
    expect(callsTo('/debug_token', 'GET')).toHaveLength(1);
    expect(callsTo(`/${session.wabaId}/subscribed_apps`, 'POST')).toHaveLength(1);
    const registrations = callsTo(`/${session.phoneNumberId}/register`, 'POST');
    expect(registrations).toHaveLength(1);
    expect(registrations[0]?.body).toMatchObject({
      messaging_product: 'whatsapp',
      pin: expect.stringMatching(/^\d{6}$/),
    });

    const audit = await get(org.key, `/api/v1/audit-events?wabaId=${session.wabaId}`).expect(200);
    expect(audit.body.data.map((event: { type: string }) => event.type).sort()).toEqual([
      'PHONE_NUMBER_ADDED',
      'PHONE_NUMBER_UPDATED',
      'WABA_CONNECTED',
    ]);
  });

  it('should answer a repeated request with 200 and no duplicates, and keep a newer token from a new signup', async () => {
    const session = sut.simulator.createSignupSession();
    await connect(org.key, session).expect(201);
    sut.simulator.clearRequests();

    const replay = await connect(org.key, session).expect(200);
    expect(replay.body.phoneNumber.phoneNumberId).toBe(session.phoneNumberId);
    expect(sut.simulator.requests).toHaveLength(0);

    const again = sut.simulator.createSignupSession({ existingWabaId: session.wabaId });
    const renewed = await connect(org.key, { ...again, phoneNumberId: session.phoneNumberId }).expect(200);
    expect(renewed.body.waba.associatedNumbers).toBe(1);
    expect(callsTo('/oauth/access_token')).toHaveLength(1);
  });

  it('should make one WABA and one number from 20 concurrent identical requests', async () => {
    const session = sut.simulator.createSignupSession();
    const responses = await Promise.all(Array.from({ length: 20 }, () => connect(org.key, session)));
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 200)).toHaveLength(19);
    expect(callsTo('/oauth/access_token')).toHaveLength(1);

    const client = new Client({ connectionString: sut.databaseUrl });
    await client.connect();
    try {
      const wabas = await client.query('SELECT count(*)::int AS n FROM wabas WHERE waba_id = $1', [session.wabaId]);
      const numbers = await client.query('SELECT count(*)::int AS n FROM phone_numbers WHERE phone_number_id = $1', [
        session.phoneNumberId,
      ]);
      expect(wabas.rows[0].n).toBe(1);
      expect(numbers.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  });

  it('should count a second number of the same WABA in associatedNumbers', async () => {
    const first = sut.simulator.createSignupSession();
    await connect(org.key, first).expect(201);
    const second = sut.simulator.createSignupSession({ existingWabaId: first.wabaId });
    const response = await connect(org.key, second).expect(201);
    expect(response.body.waba.associatedNumbers).toBe(2);

    const list = await get(org.key, `/api/v1/wabas?q=${first.wabaId}`).expect(200);
    expect(list.body.data).toEqual([expect.objectContaining({ wabaId: first.wabaId, associatedNumbers: 2 })]);
  });

  it('should answer 409 when the WABA or number belongs to another organization, changing nothing', async () => {
    const other = await sut.createOrganization('Other');
    const session = sut.simulator.createSignupSession();
    await connect(org.key, session).expect(201);

    const sameNumber = sut.simulator.createSignupSession({ existingWabaId: session.wabaId });
    const conflictNumber = await connect(other.key, { ...sameNumber, phoneNumberId: session.phoneNumberId }).expect(
      409,
    );
    expect(conflictNumber.body.code).toBe('ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION');

    const newNumber = sut.simulator.createSignupSession({ existingWabaId: session.wabaId });
    const conflictWaba = await connect(other.key, newNumber).expect(409);
    expect(conflictWaba.body.code).toBe('ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION');
    await get(other.key, `/api/v1/phone-numbers/${newNumber.phoneNumberId}`).expect(404);
    await get(other.key, '/api/v1/wabas')
      .expect(200)
      .expect((response) => expect(response.body.data).toEqual([]));
  });

  it('should answer 422 SIGNUP_CODE_REJECTED for a code Meta already consumed', async () => {
    const other = await sut.createOrganization('Second poster');
    const session = sut.simulator.createSignupSession();
    await connect(org.key, session).expect(201);

    // Another organization has no pending connection of this code: Meta is asked, and refuses the spent code.
    const reused = await connect(other.key, session).expect(422);
    expect(reused.body.code).toBe('SIGNUP_CODE_REJECTED');
    expect(reused.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
    expect(callsTo('/oauth/access_token')).toHaveLength(2);
  });

  it('should answer 422 WABA_NOT_GRANTED when the token was not granted the posted WABA', async () => {
    const mine = sut.simulator.createSignupSession();
    const foreign = sut.simulator.createSignupSession();
    const response = await connect(org.key, {
      ...mine,
      wabaId: foreign.wabaId,
      phoneNumberId: foreign.phoneNumberId,
    }).expect(422);
    expect(response.body.code).toBe('WABA_NOT_GRANTED');
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'wabaId' })]);
  });

  it('should answer 422 PHONE_NUMBER_NOT_IN_WABA for a number outside the WABA', async () => {
    const mine = sut.simulator.createSignupSession();
    const foreign = sut.simulator.createSignupSession();
    const response = await connect(org.key, { ...mine, phoneNumberId: foreign.phoneNumberId }).expect(422);
    expect(response.body.code).toBe('PHONE_NUMBER_NOT_IN_WABA');
    await get(org.key, `/api/v1/wabas/${mine.wabaId}`).expect(404);
  });

  it('should answer 502 when Meta is down during the exchange, and work with a new code later', async () => {
    const session = sut.simulator.createSignupSession();
    sut.simulator.injectFault({ path: '/oauth/access_token', kind: 'http503' });
    const down = await connect(org.key, session).expect(502);
    expect(down.body).toMatchObject({ status: 502, code: 'META_UNAVAILABLE' });
    expect(callsTo('/oauth/access_token')).toHaveLength(1);
    sut.simulator.clearFaults();

    const retry = sut.simulator.createSignupSession({ existingWabaId: session.wabaId });
    await connect(org.key, { ...retry, phoneNumberId: session.phoneNumberId }).expect(201);
  });

  it('should keep a failed registration with Meta error and register on a manual retry', async () => {
    const session = sut.simulator.createSignupSession();
    sut.simulator.injectFault({ path: `/${session.phoneNumberId}/register`, kind: 'http503', times: 1 });
    const connected = await connect(org.key, session).expect(201);
    expect(connected.body.phoneNumber.registration).toEqual({
      status: 'FAILED',
      error: { code: expect.any(Number), message: expect.any(String) },
    });

    const retried = await sut
      .http()
      .post(`/api/v1/phone-numbers/${session.phoneNumberId}/register`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(200);
    expect(retried.body.registration).toEqual({ status: 'REGISTERED', error: null });
    expect(callsTo(`/${session.phoneNumberId}/register`, 'POST')).toHaveLength(2);
  });

  it('should answer a registration Meta refuses as a problem and keep the error on the number', async () => {
    const session = sut.simulator.createSignupSession();
    sut.simulator.injectFault({
      path: `/${session.phoneNumberId}/register`,
      kind: 'meta_error',
      error: { code: 133005, httpStatus: 400, message: 'Two step verification PIN Mismatch' },
    });
    await connect(org.key, session).expect(201);
    const retried = await sut
      .http()
      .post(`/api/v1/phone-numbers/${session.phoneNumberId}/register`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(422);
    expect(retried.body.code).toBe('META_REQUEST_REJECTED');
    const number = await get(org.key, `/api/v1/phone-numbers/${session.phoneNumberId}`).expect(200);
    expect(number.body.registration).toEqual({
      status: 'FAILED',
      error: { code: 133005, message: expect.any(String) },
    });
  });

  it('should mark the connection REAUTH_REQUIRED, audited, when Meta rejects the token at registration', async () => {
    const session = sut.simulator.createSignupSession();
    sut.simulator.injectFault({ path: `/${session.phoneNumberId}/register`, kind: 'invalid_token', times: 1 });
    const connected = await connect(org.key, session).expect(201);
    expect(connected.body.phoneNumber.registration.status).toBe('FAILED');
    expect(connected.body.waba.connection).toBe('REAUTH_REQUIRED');

    const audit = await get(org.key, `/api/v1/audit-events?wabaId=${session.wabaId}&type=CONNECTION_CHANGED`).expect(
      200,
    );
    expect(audit.body.data).toEqual([
      expect.objectContaining({
        source: 'API',
        before: { connection: 'CONNECTED' },
        after: { connection: 'REAUTH_REQUIRED' },
      }),
    ]);
    const retried = await sut
      .http()
      .post(`/api/v1/phone-numbers/${session.phoneNumberId}/register`)
      .set('Authorization', `Bearer ${org.key}`)
      .expect(409);
    expect(retried.body.code).toBe('REAUTH_REQUIRED');
  });

  it('should complete a transiently failed registration in the background after a restart', async () => {
    const session = sut.simulator.createSignupSession();
    sut.simulator.injectFault({ path: `/${session.phoneNumberId}/register`, kind: 'http503', times: 1 });
    await connect(org.key, session).expect(201);

    await sut.close({ keepDatabase: true, keepSimulator: true });
    const restarted = await createTestApp({ databaseUrl: sut.databaseUrl }, sut.simulator);
    try {
      const inAnHour = new Date(Date.now() + 3_600_000);
      const { attempted } = await restarted.app.get(RegistrationService).runDueRegistrations(inAnHour);
      expect(attempted).toBeGreaterThanOrEqual(1);
      const number = await restarted
        .http()
        .get(`/api/v1/phone-numbers/${session.phoneNumberId}`)
        .set('Authorization', `Bearer ${org.key}`)
        .expect(200);
      expect(number.body.registration.status).toBe('REGISTERED');
    } finally {
      await restarted.close({ keepDatabase: true });
    }
    sut = await createTestApp({ databaseUrl: sut.databaseUrl }, sut.simulator);
  });

  it.each([
    [{}, ['code', 'wabaId', 'phoneNumberId']],
    [{ code: 'x', wabaId: 'abc', phoneNumberId: '1' }, ['wabaId']],
    [{ code: 'x', wabaId: '1', phoneNumberId: '1; DROP TABLE wabas' }, ['phoneNumberId']],
    [{ code: 123, wabaId: '1', phoneNumberId: '1' }, ['code']],
    [{ code: 'x', wabaId: '1', phoneNumberId: '1', extra: 1 }, ['extra']],
  ])('should refuse body %j naming the fields, without calling Meta', async (body, fields) => {
    const response = await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${org.key}`)
      .send(body)
      .expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(expect.arrayContaining(fields));
    expect(sut.simulator.requests).toHaveLength(0);
  });

  it('should hold no plaintext token or PIN in the database', async () => {
    const session = sut.simulator.createSignupSession();
    await connect(org.key, session).expect(201);
    const pins = callsTo('/register', 'POST').map((entry) => (entry.body as { pin: string }).pin);
    const tokens = [...(sut.simulator as unknown as { state: { tokens: Map<string, unknown> } }).state.tokens.keys()];
    expect(pins.length).toBeGreaterThan(0);
    expect(tokens.length).toBeGreaterThan(0);

    const client = new Client({ connectionString: sut.databaseUrl });
    await client.connect();
    try {
      const dump: string[] = [];
      for (const table of [
        'wabas',
        'phone_numbers',
        'pending_connections',
        'audit_events',
        'api_keys',
        'organizations',
      ]) {
        const rows = await client.query(`SELECT row_to_json(t)::text AS row FROM ${table} t`);
        dump.push(...rows.rows.map((row: { row: string }) => row.row));
      }
      const text = dump.join('\n');
      for (const token of tokens) {
        expect(text).not.toContain(token);
      }
      for (const pin of pins) {
        expect(text).not.toContain(`"${pin}"`);
      }
    } finally {
      await client.end();
    }
  });
});

import { Client } from 'pg';

import { OnboardingRetryJob } from 'src/modules/scheduler/jobs/onboarding-retry.job';
import { PendingConnectionsJob } from 'src/modules/scheduler/jobs/pending-connections.job';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { killServiceProcess, startServiceProcess } from 'test/utils/service-process';
import { dropTestDatabase } from 'test/utils/test-database';
import { waitFor } from 'test/utils/wait-for';

type Session = { code: string; wabaId: string; phoneNumberId: string };

const connect = (sut: TestApp, key: string, session: Session) =>
  sut.http().post('/api/v1/phone-numbers').set('Authorization', `Bearer ${key}`).send({
    code: session.code,
    wabaId: session.wabaId,
    phoneNumberId: session.phoneNumberId,
  });
const callsTo = (sut: TestApp, pathPart: string, method?: string) =>
  sut.simulator.requests.filter((entry) => entry.path.includes(pathPart) && (!method || entry.method === method));

/** The database's clock (the transactions the next query looks for must have started by then). */
const databaseNow = async (db: Client): Promise<Date> =>
  (await db.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0].now;

/**
 * Connections of the app sitting "idle in transaction" in a transaction that was already open at `since`:
 * a transaction held across a Graph call that is hanging. Transactions that start later (another request's
 * short write, the webhook worker) are not what is looked for.
 */
const heldTransactions = async (db: Client, since: Date): Promise<number> =>
  (
    await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND state LIKE 'idle in transaction%' AND xact_start <= $1`,
      [since],
    )
  ).rows[0].n;

describe('Connecting under slow Meta, crashes and probing (e2e)', () => {
  describe('a hanging token exchange', () => {
    it("should answer another organization's reads while 25 connects wait on Meta, holding no transaction open", async () => {
      // A long client timeout: the connects hang until the simulator is stopped below.
      const sut = await createTestApp({ env: { META_REQUEST_TIMEOUT_MS: '30000' } });
      const db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
      let connects: Array<Promise<{ status: number }>> = [];
      let answers: Array<{ status: number }> = [];
      try {
        const waiting = await sut.createOrganization('Waiting on Meta');
        const other = await sut.createOrganization('Other');
        const otherSession = sut.simulator.createSignupSession();
        await connect(sut, other.key, otherSession).expect(201);

        sut.simulator.injectFault({ path: '/oauth/access_token', kind: 'hang' });
        sut.simulator.clearRequests();
        let settled = 0;
        connects = Array.from({ length: 25 }, () =>
          connect(sut, waiting.key, sut.simulator.createSignupSession()).then((response) => {
            settled += 1;
            return response;
          }),
        );
        // The app's pool has 20 connections: at least that many exchanges hang at Meta now.
        const exchanges = await waitFor(
          () => callsTo(sut, '/oauth/access_token').length,
          (count) => count >= 20,
        );
        expect(exchanges).toBeGreaterThanOrEqual(20);
        const hangingSince = await databaseNow(db);

        expect(await heldTransactions(db, hangingSince)).toBe(0);
        const list = await sut.http().get('/api/v1/wabas').set('Authorization', `Bearer ${other.key}`).expect(200);
        expect(list.body.data).toEqual([expect.objectContaining({ wabaId: otherSession.wabaId })]);
        expect(await heldTransactions(db, hangingSince)).toBe(0);
        // All of that happened while every connect was still waiting on Meta.
        expect(settled).toBe(0);
      } finally {
        // Stopping the simulator drops the hanging exchanges: each connect then fails as Meta being down.
        await sut.simulator.stop();
        answers = await Promise.all(connects);
        await db.end();
        await sut.close();
      }
      expect(answers.map((answer) => answer.status)).toEqual(answers.map(() => 502));
    });
  });

  describe('failures after the code was exchanged', () => {
    let sut: TestApp;
    let db: Client;
    let org: { id: string; key: string };
    const inAnHour = () => new Date(Date.now() + 3_600_000);
    const pendingRows = async (session: Session) =>
      (
        await db.query<{ status: string; has_token: boolean; code_hash: string; row: string }>(
          `SELECT status, access_token_sealed IS NOT NULL AS has_token, code_hash, row_to_json(p)::text AS row
             FROM pending_connections p WHERE phone_number_id = $1`,
          [session.phoneNumberId],
        )
      ).rows;
    const getNumber = (session: Session) =>
      sut.http().get(`/api/v1/phone-numbers/${session.phoneNumberId}`).set('Authorization', `Bearer ${org.key}`);
    const tokenOf = (session: Session): string => {
      const token = sut.simulator.exportState().tokens.find((entry) => entry.wabaIds.includes(session.wabaId));
      if (!token) {
        throw new Error(`no token for ${session.wabaId}`);
      }
      return token.token;
    };
    /** Starts `action` with Meta hanging on `path` once, and checks that no transaction is held meanwhile. */
    const whileHanging = async <T>(path: string, action: () => Promise<T>): Promise<T> => {
      sut.simulator.injectFault({ path, kind: 'hang', times: 1 });
      const before = callsTo(sut, path).length;
      const running = action();
      const calls = await waitFor(
        () => callsTo(sut, path).length,
        (count) => count > before,
      );
      expect(calls).toBeGreaterThan(before);
      expect(await heldTransactions(db, await databaseNow(db))).toBe(0);
      return running;
    };

    beforeAll(async () => {
      sut = await createTestApp({ env: { META_REQUEST_TIMEOUT_MS: '1500', META_MAX_RETRIES: '1' } });
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
      org = await sut.createOrganization('Kept connections');
    });

    afterAll(async () => {
      await db.end();
      await sut.close();
    });

    beforeEach(() => {
      sut.simulator.clearFaults();
      sut.simulator.clearRequests();
    });

    it('should keep the exchanged token when debug_token fails and connect when the same request is repeated, exchanging once', async () => {
      const session = sut.simulator.createSignupSession();
      sut.simulator.injectFault({ path: '/debug_token', kind: 'http503' });
      const first = await connect(sut, org.key, session).expect(502);
      expect(first.body).toMatchObject({
        code: 'META_UNAVAILABLE',
        detail: expect.stringContaining('repeat the same request'),
        pendingConnection: { expiresAt: expect.any(String) },
      });
      expect(Number(first.headers['retry-after'])).toBeGreaterThan(0);

      const [kept] = await pendingRows(session);
      expect(kept).toMatchObject({ status: 'PENDING', has_token: true });
      expect(kept.code_hash).not.toContain(session.code);
      expect(kept.row).not.toContain(session.code);
      expect(kept.row).not.toContain(tokenOf(session));

      sut.simulator.clearFaults();
      const repeated = await connect(sut, org.key, session).expect(201);
      expect(repeated.body.phoneNumber).toMatchObject({
        phoneNumberId: session.phoneNumberId,
        registration: { status: 'REGISTERED' },
      });
      expect(callsTo(sut, '/oauth/access_token')).toHaveLength(1);
      expect(await pendingRows(session)).toEqual([expect.objectContaining({ status: 'CONNECTED', has_token: false })]);

      sut.simulator.clearRequests();
      await connect(sut, org.key, session).expect(200);
      expect(sut.simulator.requests).toHaveLength(0);
    });

    it('should finish a kept connection in the background, and answer the repeated request without calling Meta', async () => {
      const session = sut.simulator.createSignupSession();
      sut.simulator.injectFault({ path: `/${session.wabaId}/phone_numbers`, kind: 'http500' });
      const first = await connect(sut, org.key, session).expect(502);
      expect(first.body).toMatchObject({ code: 'META_UNAVAILABLE', pendingConnection: expect.any(Object) });
      await getNumber(session).expect(404);

      sut.simulator.clearFaults();
      await sut.app.get(PendingConnectionsJob).run(inAnHour());
      const number = await getNumber(session).expect(200);
      expect(number.body.registration.status).toBe('REGISTERED');
      const audit = await sut
        .http()
        .get(`/api/v1/audit-events?wabaId=${session.wabaId}&type=WABA_CONNECTED`)
        .set('Authorization', `Bearer ${org.key}`)
        .expect(200);
      expect(audit.body.data).toEqual([expect.objectContaining({ source: 'API' })]);

      sut.simulator.clearRequests();
      const repeated = await connect(sut, org.key, session).expect(200);
      expect(repeated.body.phoneNumber.phoneNumberId).toBe(session.phoneNumberId);
      expect(sut.simulator.requests).toHaveLength(0);
    });

    type Revoke = (session: Session, token: string) => Promise<unknown> | void;
    it.each<[string, string, Revoke]>([
      [
        'the WABA is no longer granted',
        'WABA_NOT_GRANTED',
        (session) => sut.simulator.applyEvent(session.wabaId, 'PARTNER_REMOVED', { silent: true }),
      ],
      ['the token was invalidated', 'SIGNUP_CODE_REJECTED', (_session, token) => sut.simulator.invalidateToken(token)],
    ])(
      'should delete a kept token when the background check finds %s, and answer the repeated request with %s',
      async (_case, code, revoke) => {
        const session = sut.simulator.createSignupSession();
        const token = tokenOf(session);
        sut.simulator.injectFault({ path: '/debug_token', kind: 'http500' });
        await connect(sut, org.key, session).expect(502);
        sut.simulator.clearFaults();
        await revoke(session, token);

        await sut.app.get(PendingConnectionsJob).run(inAnHour());
        const rows = await pendingRows(session);
        expect(rows).toEqual([expect.objectContaining({ status: 'REJECTED', has_token: false })]);
        expect(rows[0].row).not.toContain(token);

        sut.simulator.clearRequests();
        const repeated = await connect(sut, org.key, session).expect(422);
        expect(repeated.body.code).toBe(code);
        expect(sut.simulator.requests).toHaveLength(0);
        await getNumber(session).expect(404);
      },
    );

    it('should delete a kept connection that could not be verified within a day', async () => {
      const session = sut.simulator.createSignupSession();
      sut.simulator.injectFault({ path: '/debug_token', kind: 'http503' });
      await connect(sut, org.key, session).expect(502);
      expect(await pendingRows(session)).toHaveLength(1);

      // Meta stays down; a day later the token is gone.
      await sut.app.get(PendingConnectionsJob).run(new Date(Date.now() + 25 * 3_600_000));
      expect(await pendingRows(session)).toEqual([]);
    });

    it('should hold no transaction open while the registration step of a connection hangs, and retry it in the background', async () => {
      const session = sut.simulator.createSignupSession();
      const connected = await whileHanging(`/${session.phoneNumberId}/register`, () =>
        connect(sut, org.key, session).then((response) => response),
      );
      expect(connected.status).toBe(201);
      expect(connected.body.phoneNumber.registration.status).toBe('FAILED');

      await sut.app.get(OnboardingRetryJob).run(inAnHour());
      expect((await getNumber(session).expect(200)).body.registration.status).toBe('REGISTERED');
    });

    it('should hold no transaction open while the retry job waits on a hanging webhook subscription', async () => {
      const session = sut.simulator.createSignupSession();
      sut.simulator.injectFault({ path: `/${session.wabaId}/subscribed_apps`, kind: 'http503', times: 1 });
      await connect(sut, org.key, session).expect(201);
      const subscription = async () =>
        (
          await db.query<{ s: string }>('SELECT subscription_status AS s FROM wabas WHERE waba_id = $1', [
            session.wabaId,
          ])
        ).rows[0].s;
      expect(await subscription()).toBe('FAILED');

      await whileHanging(`/${session.wabaId}/subscribed_apps`, () => sut.app.get(OnboardingRetryJob).run(inAnHour()));
      await sut.app.get(OnboardingRetryJob).run(inAnHour());
      expect(await subscription()).toBe('SUBSCRIBED');
    });

    it('should hold no transaction open while a manual registration retry hangs', async () => {
      const session = sut.simulator.createSignupSession();
      sut.simulator.injectFault({ path: `/${session.phoneNumberId}/register`, kind: 'http503', times: 1 });
      await connect(sut, org.key, session).expect(201);
      const retry = () =>
        sut
          .http()
          .post(`/api/v1/phone-numbers/${session.phoneNumberId}/register`)
          .set('Authorization', `Bearer ${org.key}`);

      const hung = await whileHanging(`/${session.phoneNumberId}/register`, () => retry().then((response) => response));
      expect(hung.status).toBe(502);
      const retried = await retry().expect(200);
      expect(retried.body.registration).toEqual({ status: 'REGISTERED', error: null });
    });
  });

  describe('probing other organizations', () => {
    let sut: TestApp;
    let owner: { id: string; key: string };
    let prober: { id: string; key: string };
    let owned: Session;

    beforeAll(async () => {
      sut = await createTestApp();
      owner = await sut.createOrganization('Owner');
      prober = await sut.createOrganization('Prober');
      owned = sut.simulator.createSignupSession();
      await connect(sut, owner.key, owned).expect(201);
    });

    afterAll(async () => {
      await sut.close();
    });

    it.each([
      ['number and WABA', () => ({ wabaId: owned.wabaId, phoneNumberId: owned.phoneNumberId })],
      ['number', () => ({ wabaId: '990000000000001', phoneNumberId: owned.phoneNumberId })],
      ['WABA', () => ({ wabaId: owned.wabaId, phoneNumberId: '990000000000002' })],
    ])(
      "should answer a garbage code naming another organization's %s exactly as one naming unknown IDs",
      async (_case, ids) => {
        const probe = await connect(sut, prober.key, { code: 'garbage-code-1', ...ids() });
        const unknown = await connect(sut, prober.key, {
          code: 'garbage-code-2',
          wabaId: '990000000000003',
          phoneNumberId: '990000000000004',
        });
        expect({ status: probe.status, code: probe.body.code }).toEqual({
          status: unknown.status,
          code: unknown.body.code,
        });
        expect(probe.status).toBe(422);
        expect(probe.body.code).toBe('SIGNUP_CODE_REJECTED');
      },
    );

    it("should answer a valid code of another signup naming another organization's WABA or number by the grant, not by ownership", async () => {
      const mine = sut.simulator.createSignupSession();
      const wabaProbe = await connect(sut, prober.key, { ...mine, wabaId: owned.wabaId }).expect(422);
      expect(wabaProbe.body.code).toBe('WABA_NOT_GRANTED');

      const again = sut.simulator.createSignupSession();
      const numberProbe = await connect(sut, prober.key, { ...again, phoneNumberId: owned.phoneNumberId }).expect(422);
      expect(numberProbe.body.code).toBe('PHONE_NUMBER_NOT_IN_WABA');
      await sut
        .http()
        .get('/api/v1/wabas')
        .set('Authorization', `Bearer ${prober.key}`)
        .expect(200, /"data":\[\]/);
    });
  });

  describe('a process killed mid-connection', () => {
    it('should finish, in the background, connections whose process died after the exchange and between the steps', async () => {
      const seeding = await createTestApp();
      const { simulator, databaseUrl } = seeding;
      const org = await seeding.createOrganization('Killed');
      await seeding.close({ keepDatabase: true, keepSimulator: true });
      const db = new Client({ connectionString: databaseUrl });
      await db.connect();
      const started = await startServiceProcess(databaseUrl, { META_REQUEST_TIMEOUT_MS: '60000' });
      let restarted: TestApp | null = null;
      try {
        const post = (session: Session) =>
          fetch(`${started.url}/api/v1/phone-numbers`, {
            method: 'POST',
            headers: { Authorization: `Bearer ${org.key}`, 'Content-Type': 'application/json' },
            body: JSON.stringify({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId }),
          }).catch(() => undefined);
        const callsTo = (path: string) => simulator.requests.filter((entry) => entry.path.includes(path)).length;
        /** Posts the request and waits until it is held at Meta on `path`. */
        const postUntilHeldAt = async (session: Session, path: string) => {
          simulator.injectFault({ path, kind: 'hang' });
          const before = callsTo(path);
          void post(session);
          expect(
            await waitFor(
              () => callsTo(path),
              (count) => count > before,
            ),
          ).toBe(before + 1);
        };
        // One connection dies while registering its number, the other while its token is being checked.
        const betweenSteps = simulator.createSignupSession();
        await postUntilHeldAt(betweenSteps, `/${betweenSteps.phoneNumberId}/register`);
        const afterExchange = simulator.createSignupSession();
        await postUntilHeldAt(afterExchange, '/debug_token');
        await killServiceProcess(started.child);
        simulator.clearFaults();

        const kept = await db.query(
          'SELECT status, access_token_sealed IS NOT NULL AS has_token FROM pending_connections WHERE phone_number_id = $1',
          [afterExchange.phoneNumberId],
        );
        expect(kept.rows).toEqual([{ status: 'PENDING', has_token: true }]);

        restarted = await createTestApp({ databaseUrl }, simulator);
        // Later than the dead process's leases.
        const later = new Date(Date.now() + 10 * 60_000);
        await restarted.app.get(PendingConnectionsJob).run(later);
        await restarted.app.get(OnboardingRetryJob).run(later);
        for (const session of [betweenSteps, afterExchange]) {
          const number = await restarted
            .http()
            .get(`/api/v1/phone-numbers/${session.phoneNumberId}`)
            .set('Authorization', `Bearer ${org.key}`)
            .expect(200);
          expect({ session: session.phoneNumberId, registration: number.body.registration.status }).toEqual({
            session: session.phoneNumberId,
            registration: 'REGISTERED',
          });
        }
        const subscriptions = await db.query(
          "SELECT count(*)::int AS n FROM wabas WHERE subscription_status <> 'SUBSCRIBED'",
        );
        expect(subscriptions.rows[0].n).toBe(0);
        expect(simulator.requests.filter((entry) => entry.path.includes('/oauth/access_token'))).toHaveLength(2);
      } finally {
        await killServiceProcess(started.child);
        await db.end();
        await restarted?.close({ keepDatabase: true });
        await simulator.stop();
        await dropTestDatabase(databaseUrl);
      }
    });
  });
});

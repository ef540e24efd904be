import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { SimulatorPersistence } from 'src/meta-simulator/simulator-persistence';
import {
  createTestApp,
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_SYSTEM_USER_TOKEN,
  type TestApp,
} from 'test/utils/create-test-app';
import { dropTestDatabase } from 'test/utils/test-database';

type Session = { code: string; wabaId: string; phoneNumberId: string; businessId: string };

const SANDBOX_ENV = { META_SANDBOX: 'true' };

describe('Sandbox mode across restarts (e2e)', () => {
  let dataDir: string;
  let file: string;
  const apps: TestApp[] = [];
  const simulators: MetaSimulator[] = [];
  const databases: string[] = [];

  /** What runtime.ts does in sandbox mode: a simulator whose state lives in DATA_DIR. */
  const startPersistentSimulator = async (): Promise<{
    simulator: MetaSimulator;
    persistence: SimulatorPersistence;
    restored: boolean;
  }> => {
    const persistence = new SimulatorPersistence({ file, log: () => undefined });
    const simulator = new MetaSimulator({
      appId: TEST_APP_ID,
      appSecret: TEST_APP_SECRET,
      systemUserToken: TEST_SYSTEM_USER_TOKEN,
      onStateChange: () => persistence.schedule(),
    });
    persistence.attach(simulator);
    const restored = await persistence.restore();
    await simulator.start(0);
    simulators.push(simulator);
    return { simulator, persistence, restored };
  };

  const startApp = async (simulator: MetaSimulator, databaseUrl?: string): Promise<TestApp> => {
    const app = await createTestApp({ databaseUrl, env: SANDBOX_ENV }, simulator);
    apps.push(app);
    databases.push(app.databaseUrl);
    return app;
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sandbox-restart-'));
    file = join(dataDir, 'sandbox-simulator.json');
  });

  afterAll(async () => {
    for (const app of apps) {
      await app.close({ keepDatabase: true }).catch(() => undefined);
    }
    await Promise.all(simulators.map((simulator) => simulator.stop()));
    for (const url of new Set(databases)) {
      await dropTestDatabase(url);
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('should keep a WABA connected through the sandbox signup working after the app and simulator restart', async () => {
    const first = await startPersistentSimulator();
    expect(first.restored).toBe(false);
    const app = await startApp(first.simulator);
    const org = await app.createOrganization('Sandbox Restarts');
    const auth = `Bearer ${org.key}`;

    const signup = await app
      .http()
      .post('/api/v1/sandbox/embedded-signup')
      .set('Authorization', auth)
      .send({ wabaName: 'Restart Garden' })
      .expect(201);
    const session = signup.body as Session;
    const connected = await app
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', auth)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    expect(connected.body.waba).toMatchObject({ wabaId: session.wabaId, connection: 'CONNECTED' });
    expect(connected.body.phoneNumber.registration.status).toBe('REGISTERED');

    await app.close({ keepDatabase: true });
    await first.simulator.flushWebhooks();
    await first.simulator.stop();
    await first.persistence.close();
    expect(existsSync(file)).toBe(true);

    const second = await startPersistentSimulator();
    expect(second.restored).toBe(true);
    expect(second.simulator.url).not.toBe(first.simulator.url);
    const restarted = await startApp(second.simulator, app.databaseUrl);

    const synced = await restarted
      .http()
      .post(`/api/v1/wabas/${session.wabaId}/sync`)
      .set('Authorization', auth)
      .expect(200);
    expect(synced.body).toMatchObject({
      wabaId: session.wabaId,
      name: 'Restart Garden',
      status: 'ACTIVE',
      connection: 'CONNECTED',
    });
    // The sync really asked the restored simulator, with the token stored before the restart.
    expect(second.simulator.requests.some((entry) => entry.path.startsWith(`/${session.wabaId}`))).toBe(true);
    const number = await restarted
      .http()
      .get(`/api/v1/phone-numbers/${session.phoneNumberId}`)
      .set('Authorization', auth)
      .expect(200);
    expect(number.body).toMatchObject({ phoneNumberId: session.phoneNumberId, sendingChannel: 'CLOUD_API' });
  });

  it('should need re-authorization when the simulator restarts without its saved state (what persistence prevents)', async () => {
    const empty = new MetaSimulator({
      appId: TEST_APP_ID,
      appSecret: TEST_APP_SECRET,
      systemUserToken: TEST_SYSTEM_USER_TOKEN,
    });
    await empty.start(0);
    simulators.push(empty);
    const app = await startApp(empty);
    const org = await app.createOrganization('Forgetful Meta');
    const auth = `Bearer ${org.key}`;
    const session = (
      await app
        .http()
        .post('/api/v1/sandbox/embedded-signup')
        .set('Authorization', auth)
        .send({ wabaName: 'Forgotten' })
        .expect(201)
    ).body as Session;
    await app
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', auth)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    await app.close({ keepDatabase: true });
    await empty.flushWebhooks();

    empty.reset();
    const restarted = await startApp(empty, app.databaseUrl);
    const synced = await restarted.http().post(`/api/v1/wabas/${session.wabaId}/sync`).set('Authorization', auth);

    expect(synced.status).toBe(409);
    expect(synced.body.code).toBe('REAUTH_REQUIRED');

    // The simulator answers but does not know the WABA any more: a refusal, not an outage.
    const event = await restarted
      .http()
      .post(`/api/v1/sandbox/wabas/${session.wabaId}/events`)
      .set('Authorization', auth)
      .send({ type: 'DISABLE' });
    expect(event.status).toBe(422);
    expect(event.body.code).toBe('META_REQUEST_REJECTED');
  });

  it('should create a signup session at the simulator over HTTP in sandbox mode', async () => {
    const { simulator } = await startPersistentSimulator();
    const app = await startApp(simulator);
    const org = await app.createOrganization('Sandbox Signups');

    const response = await app
      .http()
      .post('/api/v1/sandbox/embedded-signup')
      .set('Authorization', `Bearer ${org.key}`)
      .send({ wabaName: 'Popup Shop', displayPhoneNumber: '+1 631-555-0142' })
      .expect(201);

    expect(response.body).toEqual({
      code: expect.any(String),
      wabaId: expect.stringMatching(/^\d+$/),
      phoneNumberId: expect.stringMatching(/^\d+$/),
      businessId: expect.stringMatching(/^\d+$/),
    });
    expect(simulator.getWaba(response.body.wabaId)?.name).toBe('Popup Shop');
    expect(simulator.getPhoneNumber(response.body.phoneNumberId)?.displayPhoneNumber).toBe('+1 631-555-0142');
  });

  it('should answer 404 on the sandbox signup route when not in sandbox mode', async () => {
    const app = await createTestApp();
    apps.push(app);
    databases.push(app.databaseUrl);
    const org = await app.createOrganization('Production');

    const response = await app
      .http()
      .post('/api/v1/sandbox/embedded-signup')
      .set('Authorization', `Bearer ${org.key}`)
      .send({})
      .expect(404);

    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(app.simulator.requests).toHaveLength(0);
  });
});

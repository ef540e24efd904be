import { Client } from 'pg';

import type { LiveFrame } from 'src/modules/live-events/live-frame';
import { LiveEventsService } from 'src/modules/live-events/live-events.service';
import { WebhookInboxWorker } from 'src/modules/meta-webhooks/webhook-inbox.worker';
import { waitFor } from 'test/utils/wait-for';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { type EventStreamClient, openEventStream, type StreamFrame } from 'test/utils/event-stream';

type Connected = { id: string; key: string; wabaId: string; phoneNumberId: string };

const KEEPALIVE_MS = 200;
const MAX_STREAMS = 3;

const RELAYS: Array<[string, Record<string, string> | null]> = [
  ['PostgreSQL LISTEN/NOTIFY', {}],
  ['Redis pub/sub', process.env.TEST_REDIS_URL ? { REDIS_URL: process.env.TEST_REDIS_URL } : null],
];

const named = (event: string, data: Record<string, unknown>) => (frame: StreamFrame) =>
  frame.event === event &&
  Object.entries(data).every(([key, value]) => (frame.data as Record<string, unknown>)?.[key] === value);

describe.each(RELAYS)('Live events across two instances on one database, relayed by %s (e2e)', (_relay, relayEnv) => {
  let first: TestApp;
  let second: TestApp;
  const streams: EventStreamClient[] = [];

  const open = async (app: TestApp, key: string | null) => {
    const client = await openEventStream(app.url, key);
    streams.push(client);
    return client;
  };
  const connect = async (name: string): Promise<Connected> => {
    const organization = await first.createOrganization(name);
    const session = first.simulator.createSignupSession({ wabaName: `${name} WABA` });
    await first
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${organization.key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { ...organization, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
  };
  const openStreams = (app: TestApp, organizationId: string) =>
    app.app.get(LiveEventsService).openStreams(organizationId);

  if (relayEnv === null) {
    // Redis is optional on a user's machine, but CI has one: there its absence fails instead of passing unseen.
    it('should find Redis (TEST_REDIS_URL) when running in CI', () => {
      expect({ ci: process.env.CI === 'true', redis: false }).toEqual({ ci: false, redis: false });
    });
    return;
  }

  beforeAll(async () => {
    const env = {
      ...relayEnv,
      LIVE_EVENTS_KEEPALIVE_MS: String(KEEPALIVE_MS),
      LIVE_EVENTS_MAX_STREAMS_PER_ORGANIZATION: String(MAX_STREAMS),
    };
    first = await createTestApp({ env });
    second = await createTestApp({ env, databaseUrl: first.databaseUrl }, first.simulator);
    // Meta's webhooks reach the second instance, which alone processes the shared inbox; the clients below
    // read the first one.
    first.simulator.setWebhookUrl(`${second.url}/webhooks/meta`);
    await first.app.get(WebhookInboxWorker).beforeApplicationShutdown();
  });

  afterEach(() => {
    streams.splice(0).forEach((stream) => stream.close());
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('should refuse a request without a valid key with a 401 problem', async () => {
    for (const key of [null, 'waak_not-a-key-0123456789abcdef']) {
      const client = await open(first, key);

      expect(client.status).toBe(401);
      expect(client.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(client.text)).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
  });

  it('should start with a ready frame and send keep-alive comments on an idle stream', async () => {
    const { key } = await first.createOrganization('Ready');
    const client = await open(first, key);

    expect(client.status).toBe(200);
    expect(client.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(client.headers.get('cache-control')).toContain('no-cache');
    const ready = await client.next(() => true);
    expect(ready).toMatchObject({ event: 'ready', data: {}, id: '1' });
    await client.next((frame) => frame.comment === 'keep-alive');
    await client.next((frame) => frame.comment === 'keep-alive', 10_000, client.frames.length);
    expect(client.frames.filter((frame) => frame.event !== null).map((frame) => frame.event)).toEqual(['ready']);
  });

  it('should bring a DISABLE webhook processed by the other instance to the organization’s stream, and to no other organization’s', async () => {
    const alpha = await connect('Alpha');
    const beta = await connect('Beta');
    const alphaStream = await open(first, alpha.key);
    const betaStream = await open(first, beta.key);
    await alphaStream.next((frame) => frame.event === 'ready');
    await betaStream.next((frame) => frame.event === 'ready');
    const queuedHere: LiveFrame[] = [];
    const hub = first.app.get(LiveEventsService);
    const queue = hub.queue.bind(hub);
    jest.spyOn(hub, 'queue').mockImplementation((organizationId, frame) => {
      queuedHere.push(frame);
      queue(organizationId, frame);
    });

    const delivery = await first.simulator.applyEvent(alpha.wabaId, 'DISABLE');
    expect(delivery?.status).toBe(200);

    const frame = await alphaStream.next(named('waba', { wabaId: alpha.wabaId, kind: 'status' }));
    expect(frame.data).toEqual({ wabaId: alpha.wabaId, kind: 'status' });
    expect(frame.id).toMatch(/^\d+$/);
    const status = await first
      .http()
      .get(`/api/v1/wabas/${alpha.wabaId}`)
      .set('Authorization', `Bearer ${alpha.key}`)
      .expect(200);
    expect(status.body).toMatchObject({ status: 'DISABLED' });
    // The frame came from the other instance, through the relay: this one made no change.
    expect(queuedHere).toEqual([]);

    // Beta's own change comes after Alpha's on the one channel: once it is in, Alpha's would be too.
    await first.simulator.applyEvent(beta.wabaId, 'DISABLE');
    await betaStream.next(named('waba', { wabaId: beta.wabaId, kind: 'status' }));
    const seenByBeta = JSON.stringify(betaStream.frames);
    expect(seenByBeta).not.toContain(alpha.wabaId);
    expect(seenByBeta).not.toContain(alpha.phoneNumberId);
    expect(JSON.stringify(alphaStream.frames)).not.toContain(beta.wabaId);
  });

  it('should send the frames of a connection made through the other instance: the WABA, then its number', async () => {
    const organization = await first.createOrganization('Connecting');
    const client = await open(first, organization.key);
    await client.next((frame) => frame.event === 'ready');
    const session = first.simulator.createSignupSession({ wabaName: 'Connecting WABA' });

    await second
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${organization.key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);

    await client.next(named('waba', { wabaId: session.wabaId, kind: 'connected' }));
    const added = await client.next(named('phone-number', { phoneNumberId: session.phoneNumberId, kind: 'added' }));
    expect(added.data).toEqual({ phoneNumberId: session.phoneNumberId, wabaId: session.wabaId, kind: 'added' });
  });

  it('should release a stream when its client disconnects, and cap the open streams per organization with a 429', async () => {
    const { id, key } = await first.createOrganization('Capped');
    const clients: EventStreamClient[] = [];
    for (let index = 0; index < MAX_STREAMS; index += 1) {
      const client = await open(first, key);
      await client.next((frame) => frame.event === 'ready');
      clients.push(client);
    }
    expect(openStreams(first, id)).toBe(MAX_STREAMS);

    const refused = await open(first, key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(JSON.parse(refused.text)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });

    clients[0].close();
    await waitFor(
      () => Promise.resolve(openStreams(first, id)),
      (count) => count === MAX_STREAMS - 1,
    );
    expect(openStreams(first, id)).toBe(MAX_STREAMS - 1);
    const again = await open(first, key);
    expect(again.status).toBe(200);
    await again.next((frame) => frame.event === 'ready');
  });

  (relayEnv.REDIS_URL ? it.skip : it)(
    'should end the streams when the listening connection is lost, and carry frames again once a client reconnects',
    async () => {
      const connected = await connect('Reconnect');
      const before = await open(first, connected.key);
      await before.next((frame) => frame.event === 'ready');
      const admin = new Client({ connectionString: first.databaseUrl });
      await admin.connect();
      try {
        // What a database restart or a network cut does to the dedicated connections of both instances.
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE application_name = 'whatsapp-assets live events' AND datname = current_database()`,
        );
      } finally {
        await admin.end();
      }
      await expect(before.ended).resolves.toBeUndefined();

      const after = await open(first, connected.key);
      expect(after.status).toBe(200);
      await after.next((frame) => frame.event === 'ready');
      await first.simulator.applyEvent(connected.wabaId, 'DISABLE');
      await after.next(named('waba', { wabaId: connected.wabaId, kind: 'status' }));
    },
  );

  it('should end its open streams cleanly when the instance shuts down, without waiting for their clients', async () => {
    const third = await createTestApp(
      { env: { ...relayEnv, LIVE_EVENTS_KEEPALIVE_MS: String(KEEPALIVE_MS) }, databaseUrl: first.databaseUrl },
      first.simulator,
    );
    first.simulator.setWebhookUrl(`${second.url}/webhooks/meta`);
    const { key } = await first.createOrganization('Stopping');
    const client = await open(third, key);
    await client.next((frame) => frame.event === 'ready');

    await third.close({ keepDatabase: true, keepSimulator: true });

    await expect(client.ended).resolves.toBeUndefined();
  });
});

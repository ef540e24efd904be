import { Client } from 'pg';

import { type ConnectedNumber, connectNumber, onboardToMmLite } from 'test/utils/connect-number';
import { createTestApp, TEST_SYSTEM_USER_TOKEN, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';
import { type InboxRow, processedInboxRows } from 'test/utils/webhook-inbox';

interface SendDetails {
  id: string;
  messageId: string | null;
  status: string;
  failure: { code: number | null; title: string | null; reason: string; action: string } | null;
  statusAt: string | null;
  deliveredAt: string | null;
  readAt: string | null;
  failedAt: string | null;
}

interface StatusEntry {
  id: string;
  status: string;
  timestamp: string;
}

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };
const DAY_SECONDS = 24 * 60 * 60;
const GATEWAY_TIMEOUT_MS = 1_000;

const at = (timestamp: string): string => new Date(Number(timestamp) * 1000).toISOString();

/**
 * Issue 16 end to end: the simulator's own status and user_preferences webhooks (not hand-built ones) drive the
 * service, which speaks to it through the real gateway over HTTP.
 */
describe('Marketing message lifecycle driven by the simulator (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let key: string;
  let cloud: ConnectedNumber;
  let mmLite: ConnectedNumber;
  let recipientSeq = 0;

  // A fresh UK recipient per test: the simulator reads it unless told otherwise, and holds stay apart.
  const recipient = (): string => `+4477009${String(10_000 + recipientSeq++).slice(-5)}`;

  function send(number: ConnectedNumber, to: string) {
    return sut
      .http()
      .post(`/api/v1/phone-numbers/${number.phoneNumberId}/marketing-messages`)
      .set('Authorization', `Bearer ${key}`)
      .send({ to, template: TEMPLATE });
  }

  async function details(id: string): Promise<SendDetails> {
    const response = await sut
      .http()
      .get(`/api/v1/marketing-messages/${id}`)
      .set('Authorization', `Bearer ${key}`)
      .expect(200);
    return response.body as SendDetails;
  }

  /** The sandbox's stand-in for the recipient's choice in WhatsApp: the simulator sends Meta's webhook. */
  async function choose(number: ConnectedNumber, to: string, value: 'STOP' | 'RESUME'): Promise<void> {
    await sut
      .http()
      .post(`/api/v1/sandbox/phone-numbers/${number.phoneNumberId}/user-preferences`)
      .set('Authorization', `Bearer ${key}`)
      .send({ to, value })
      .expect(202);
    await processedDeliveries(`"${value.toLowerCase()}"`);
  }

  const settled = (id: string, status: string): Promise<SendDetails> =>
    waitFor(
      () => details(id),
      (send) => send.status === status,
    );

  /** The `statuses[]` entries of one wamid in the simulator's deliveries, in delivery order. */
  function statusesOf(wamid: string): StatusEntry[] {
    return sut.simulator.webhooks.flatMap((delivery) => {
      const payload = JSON.parse(delivery.body) as {
        entry?: Array<{ changes?: Array<{ value?: { statuses?: StatusEntry[] } }> }>;
      };
      return (payload.entry ?? [])
        .flatMap((entry) => entry.changes ?? [])
        .flatMap((change) => change.value?.statuses ?? [])
        .filter((status) => status.id === wamid);
    });
  }

  /** The inbox rows of the simulator's deliveries whose body mentions `needle`, once all are processed. */
  async function processedDeliveries(needle: string): Promise<InboxRow[]> {
    await sut.simulator.flushWebhooks();
    const deliveries = sut.simulator.webhooks.filter((delivery) => delivery.body.includes(needle));
    expect(deliveries.map((delivery) => delivery.status)).toEqual(deliveries.map(() => 200));
    return processedInboxRows(db, deliveries);
  }

  beforeAll(async () => {
    // Sandbox mode for its user-preferences stand-in; the gateway still speaks HTTP to the simulator.
    sut = await createTestApp({ env: { META_SANDBOX: 'true', META_REQUEST_TIMEOUT_MS: String(GATEWAY_TIMEOUT_MS) } });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    key = (await sut.createOrganization('Lifecycle Co')).key;
    const templates = [{ ...TEMPLATE, category: 'MARKETING' as const }];
    cloud = await connectNumber(sut, key, { wabaName: 'Cloud API lifecycle WABA', templates });
    mmLite = await connectNumber(sut, key, { wabaName: 'MM Lite lifecycle WABA', templates });
    await onboardToMmLite(sut, key, mmLite);
    sut.simulator.setStatusWebhooks('all', { sent: 0, delivered: 0, read: 0 });
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  afterEach(async () => {
    sut.simulator.setLatency(0);
    sut.simulator.clearFaults();
    await sut.simulator.flushWebhooks();
  });

  it('should follow a send to DELIVERED then READ by the simulator’s status webhooks', async () => {
    const to = recipient();

    const { id, messageId } = (await send(cloud, to).expect(202)).body as { id: string; messageId: string };

    const read = await settled(id, 'READ');
    const statuses = statusesOf(messageId);
    expect(statuses.map((status) => status.status)).toEqual(['sent', 'delivered', 'read']);
    expect(read).toMatchObject({
      messageId,
      status: 'READ',
      failure: null,
      deliveredAt: at(statuses[1].timestamp),
      readAt: at(statuses[2].timestamp),
      statusAt: at(statuses[2].timestamp),
    });
  });

  it('should explain a US recipient’s 131049 and refuse the next send with 422 RECIPIENT_PAUSED before Graph', async () => {
    const to = '+14165550177';
    const { id } = (await send(mmLite, to).expect(202)).body as { id: string };

    const failed = await settled(id, 'FAILED');

    expect(failed.failure).toMatchObject({
      code: 131049,
      title: expect.any(String),
      reason: expect.any(String),
      action: expect.any(String),
    });
    expect(failed.failedAt).not.toBeNull();
    const refused = await send(mmLite, to).expect(422);
    expect(refused.body).toMatchObject({ code: 'RECIPIENT_PAUSED', errors: [{ field: 'to' }] });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(DAY_SECONDS - 120);
    expect(retryAfter).toBeLessThanOrEqual(DAY_SECONDS);
    expect(sut.simulator.sentMessages.filter((message) => message.to === to)).toHaveLength(1);
  });

  it('should hold an opted-out recipient after 131050 until the simulator’s user_preferences resume', async () => {
    const to = recipient();
    sut.simulator.setRecipientOutcome(to, 'opted_out');
    const { id } = (await send(cloud, to).expect(202)).body as { id: string };

    expect((await settled(id, 'FAILED')).failure).toMatchObject({ code: 131050 });
    const refused = await send(cloud, to).expect(422);
    expect(refused.body).toMatchObject({ code: 'RECIPIENT_OPTED_OUT', errors: [{ field: 'to' }] });
    expect(sut.simulator.sentMessages.filter((message) => message.to === to)).toHaveLength(1);

    sut.simulator.setRecipientOutcome(to, 'read');
    await choose(cloud, to, 'RESUME');

    await send(cloud, to).expect(202);
  });

  it('should hold a recipient who stopped marketing through the sandbox until they resume', async () => {
    const to = recipient();

    await choose(mmLite, to, 'STOP');
    expect((await send(mmLite, to).expect(422)).body).toMatchObject({ code: 'RECIPIENT_OPTED_OUT' });
    expect(sut.simulator.sentMessages.filter((message) => message.to === to)).toEqual([]);
    await choose(mmLite, to, 'RESUME');

    const { id } = (await send(mmLite, to).expect(202)).body as { id: string };
    expect((await settled(id, 'READ')).failure).toBeNull();
  });

  it.each(['read_before_delivered', 'sent_last'] as const)(
    'should end READ with each time kept when the simulator reports out of order (%s)',
    async (outcome) => {
      const to = recipient();
      sut.simulator.setRecipientOutcome(to, outcome);
      const { id, messageId } = (await send(mmLite, to).expect(202)).body as { id: string; messageId: string };

      await processedDeliveries(messageId);
      const statuses = statusesOf(messageId);
      expect(statuses).toHaveLength(3);
      const time = (name: string) => at(statuses.find((status) => status.status === name)!.timestamp);

      expect(await details(id)).toMatchObject({
        status: 'READ',
        deliveredAt: time('delivered'),
        readAt: time('read'),
        statusAt: time('read'),
      });
    },
  );

  it('should acknowledge and ignore the statuses of a message sent to Meta without the service', async () => {
    const to = recipient();
    const { id } = (await send(cloud, to).expect(202)).body as { id: string };
    const before = await settled(id, 'READ');
    const direct = await fetch(`${sut.simulator.url}/v25.0/${cloud.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TEST_SYSTEM_USER_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        messaging_product: 'whatsapp',
        to: to.slice(1),
        type: 'template',
        template: { name: TEMPLATE.name, language: { code: TEMPLATE.language } },
      }),
    });
    expect(direct.status).toBe(200);
    const wamid = ((await direct.json()) as { messages: Array<{ id: string }> }).messages[0].id;

    const inbox = await processedDeliveries(wamid);

    expect(inbox).toHaveLength(3);
    expect(inbox.flatMap((row) => row.outcome ?? [])).toEqual(
      inbox.map(() => expect.objectContaining({ field: 'messages', outcome: 'IGNORED' })),
    );
    expect(await details(id)).toEqual(before);
    const recorded = await db.query('SELECT 1 FROM marketing_messages WHERE message_id = $1', [wamid]);
    expect(recorded.rowCount).toBe(0);
  });

  it('should answer 504 when Meta answers after the timeout, and reconcile the send by its status webhooks', async () => {
    sut.simulator.setLatency(GATEWAY_TIMEOUT_MS * 2, `/${mmLite.phoneNumberId}/marketing_messages`);
    const to = recipient();

    const lost = await send(mmLite, to).expect(504);

    expect(lost.body).toMatchObject({ code: 'SEND_OUTCOME_UNKNOWN', id: expect.any(String) });
    const id = (lost.body as { id: string }).id;
    expect(await details(id)).toMatchObject({ status: 'UNKNOWN', messageId: null });
    const accepted = await waitFor(
      () => sut.simulator.sentMessages.filter((message) => message.to === to),
      (messages) => messages.length > 0,
    );
    expect(accepted).toHaveLength(1);

    const read = await settled(id, 'READ');

    const statuses = statusesOf(accepted[0].id);
    expect(read).toMatchObject({
      messageId: accepted[0].id,
      deliveredAt: at(statuses[1].timestamp),
      readAt: at(statuses[2].timestamp),
    });
  });
});

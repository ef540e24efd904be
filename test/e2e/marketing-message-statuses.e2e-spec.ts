import { createHash, randomBytes } from 'node:crypto';

import { Client } from 'pg';

import type { JsonObject } from 'src/meta-simulator/meta-simulator.types';
import { type ConnectedNumber, connectNumber, onboardToMmLite } from 'test/utils/connect-number';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { waitFor } from 'test/utils/wait-for';

type Connected = ConnectedNumber;

interface SendRow {
  id: string;
  message_id: string | null;
  status: string;
  channel: string;
  recipient: string;
  recipient_type: string;
  recipient_country_calling_code: string | null;
  template_category: string | null;
  status_at: Date | null;
  meta_sent_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  failed_at: Date | null;
  failure_code: number | null;
  failure_title: string | null;
  failure_details: string | null;
  pricing_category: string | null;
  sent_by: string;
}

type InboxRow = { status: string; outcome: Array<{ field: string; outcome: string }> | null };

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };
const DAY_SECONDS = 24 * 60 * 60;

const seconds = (offset = 0): number => Math.floor(Date.now() / 1000) + offset;

/** Meta's 131049 and 131050 failures as the fixtures (messages.status.failed_131049*.json) carry them. */
const FAILURES = {
  131049: {
    code: 131049,
    title: 'This message was not delivered to maintain healthy ecosystem engagement.',
    message: 'This message was not delivered to maintain healthy ecosystem engagement.',
    error_data: { details: 'In order to maintain a healthy ecosystem engagement, the message failed to be delivered.' },
    href: '/documentation/business-messaging/whatsapp/support/error-codes',
  },
  131050: {
    code: 131050,
    title:
      'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
    message: 'Unable to deliver the message.',
    error_data: { details: 'The recipient has opted out of marketing messages from this business.' },
    href: '/documentation/business-messaging/whatsapp/support/error-codes',
  },
} as const;

describe('Marketing sends recorded and followed by Meta status webhooks (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let key: string;
  let cloud: Connected;
  let mmLite: Connected;
  let recipientSeq = 0;

  const auth = (): [string, string] => ['Authorization', `Bearer ${key}`];
  // A fresh UK recipient per test: the simulator reports nothing by itself for them, and holds stay apart.
  const recipient = (): string => `+4477008${String(10_000 + recipientSeq++).slice(-5)}`;

  function send(number: Connected, to: string) {
    return sut
      .http()
      .post(`/api/v1/phone-numbers/${number.phoneNumberId}/marketing-messages`)
      .set(...auth())
      .send({ to, template: TEMPLATE });
  }

  async function row(id: string): Promise<SendRow> {
    const result = await db.query<SendRow>('SELECT * FROM marketing_messages WHERE id = $1', [id]);
    return result.rows[0];
  }

  /** A `statuses[]` entry shaped like fixtures/webhooks/messages.status.*.json. */
  function status(wamid: string, name: string, at: number, to: string, extra: JsonObject = {}): JsonObject {
    return { id: wamid, status: name, timestamp: String(at), recipient_id: to.slice(1), ...extra };
  }

  /** Delivers one signed `messages` change of the number with these statuses and waits until it is processed. */
  async function deliverStatuses(number: Connected, statuses: JsonObject[]): Promise<InboxRow> {
    const value: JsonObject = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: number.phoneNumberId },
      statuses,
    };
    return deliver(sut.simulator.buildWebhook('messages', value, number.wabaId, null));
  }

  /** Delivers one `user_preferences` change (Meta's shape) about marketing messages of the WABA. */
  async function deliverPreference(
    number: Connected,
    to: string,
    choice: 'stop' | 'resume',
    at: number,
    field = 'user_preferences',
  ): Promise<InboxRow> {
    const value: JsonObject = {
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: number.phoneNumberId },
      contacts: [{ wa_id: to.slice(1), profile: { name: 'Kerry' } }],
      [field]: [
        {
          wa_id: to.slice(1),
          detail: 'User requested to stop marketing messages',
          category: 'marketing_messages',
          value: choice,
          timestamp: at,
        },
      ],
    };
    return deliver(sut.simulator.buildWebhook(field, value, number.wabaId, null));
  }

  async function deliver(payload: JsonObject): Promise<InboxRow> {
    const delivery = await sut.simulator.sendWebhook(payload);
    expect(delivery.status).toBe(200);
    const sha256 = createHash('sha256').update(delivery.body, 'utf8').digest('hex');
    const inbox = await waitFor(
      async () =>
        (await db.query<InboxRow>('SELECT status, outcome FROM webhook_inbox WHERE payload_sha256 = $1', [sha256]))
          .rows[0],
      (value) => value?.status === 'DONE',
    );
    expect(inbox?.status).toBe('DONE');
    return inbox;
  }

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    key = (await sut.createOrganization('Statuses Co')).key;
    const templates = [{ ...TEMPLATE, category: 'MARKETING' as const }];
    cloud = await connectNumber(sut, key, { wabaName: 'Cloud API statuses WABA', templates });
    mmLite = await connectNumber(sut, key, { wabaName: 'MM Lite statuses WABA', templates });
    await onboardToMmLite(sut, key, mmLite);
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  afterEach(() => {
    sut.simulator.clearFaults();
  });

  it('should record a send with our id, and follow it to delivered and read', async () => {
    const to = recipient();
    sut.simulator.clearRequests();

    const response = await send(cloud, to).expect(202);

    expect(response.body).toMatchObject({
      id: expect.any(String),
      messageId: expect.any(String),
      channel: 'CLOUD_API',
    });
    const { id, messageId } = response.body as { id: string; messageId: string };
    // Cloud API sends carry our id, which Meta echoes in the statuses.
    const call = sut.simulator.requests.find((entry) => entry.path.endsWith('/messages'));
    expect(call?.body).toMatchObject({ biz_opaque_callback_data: id });
    expect(await row(id)).toMatchObject({
      message_id: messageId,
      status: 'ACCEPTED',
      channel: 'CLOUD_API',
      recipient: to,
      recipient_type: 'PHONE_NUMBER',
      recipient_country_calling_code: '44',
      template_category: 'MARKETING',
      sent_by: expect.stringMatching(/^api-key:/),
    });

    const sentAt = seconds();
    const pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing_lite' };
    const first = await deliverStatuses(cloud, [
      status(messageId, 'sent', sentAt, to, { biz_opaque_callback_data: id }),
      status(messageId, 'delivered', sentAt + 1, to, { biz_opaque_callback_data: id, pricing }),
    ]);
    expect(first.outcome).toEqual([expect.objectContaining({ field: 'messages', outcome: 'APPLIED' })]);
    expect(await row(id)).toMatchObject({
      status: 'DELIVERED',
      meta_sent_at: new Date(sentAt * 1000),
      delivered_at: new Date((sentAt + 1) * 1000),
      status_at: new Date((sentAt + 1) * 1000),
      pricing_category: 'marketing_lite',
    });

    await deliverStatuses(cloud, [status(messageId, 'read', sentAt + 5, to)]);

    expect(await row(id)).toMatchObject({
      status: 'READ',
      read_at: new Date((sentAt + 5) * 1000),
      delivered_at: new Date((sentAt + 1) * 1000),
      pricing_category: 'marketing_lite',
    });
  });

  it('should keep READ when delivered and sent arrive after it, and keep their times', async () => {
    const to = recipient();
    const { id, messageId } = (await send(mmLite, to).expect(202)).body as { id: string; messageId: string };
    const at = seconds();

    await deliverStatuses(mmLite, [status(messageId, 'read', at + 3, to)]);
    await deliverStatuses(mmLite, [status(messageId, 'delivered', at + 2, to)]);
    await deliverStatuses(mmLite, [status(messageId, 'sent', at, to)]);

    expect(await row(id)).toMatchObject({
      status: 'READ',
      status_at: new Date((at + 3) * 1000),
      read_at: new Date((at + 3) * 1000),
      delivered_at: new Date((at + 2) * 1000),
      meta_sent_at: new Date(at * 1000),
    });
  });

  it('should explain a 131049 failure and refuse the next send with 422 RECIPIENT_PAUSED and Retry-After', async () => {
    const to = recipient();
    const { id, messageId } = (await send(mmLite, to).expect(202)).body as { id: string; messageId: string };
    const failedAt = seconds();

    await deliverStatuses(mmLite, [status(messageId, 'failed', failedAt, to, { errors: [FAILURES[131049]] })]);

    expect(await row(id)).toMatchObject({
      status: 'FAILED',
      failed_at: new Date(failedAt * 1000),
      failure_code: 131049,
      failure_title: FAILURES[131049].title,
      failure_details: FAILURES[131049].error_data.details,
    });
    sut.simulator.clearRequests();
    const refused = await send(mmLite, to).expect(422);
    expect(refused.body).toMatchObject({ code: 'RECIPIENT_PAUSED', errors: [{ field: 'to' }] });
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(DAY_SECONDS - 120);
    expect(retryAfter).toBeLessThanOrEqual(DAY_SECONDS);
    expect(sut.simulator.requests.filter((entry) => entry.method === 'POST')).toEqual([]);
    // A later `delivered` does not undo a failure.
    await deliverStatuses(mmLite, [status(messageId, 'delivered', failedAt + 1, to)]);
    expect((await row(id)).status).toBe('FAILED');
  });

  it('should refuse sends after 131050 until a user_preferences resume newer than the stop arrives', async () => {
    const to = recipient();
    const { messageId } = (await send(cloud, to).expect(202)).body as { messageId: string };
    const stoppedAt = seconds();
    await deliverStatuses(cloud, [status(messageId, 'failed', stoppedAt, to, { errors: [FAILURES[131050]] })]);

    const refused = await send(cloud, to).expect(422);
    expect(refused.body).toMatchObject({ code: 'RECIPIENT_OPTED_OUT', errors: [{ field: 'to' }] });
    expect(refused.body.detail).toContain('resume');
    expect(refused.headers['retry-after']).toBeUndefined();

    // A resume older than the stop, delivered late, changes nothing.
    const stale = await deliverPreference(cloud, to, 'resume', stoppedAt - 60);
    expect(stale.outcome).toEqual([expect.objectContaining({ field: 'user_preferences' })]);
    await send(cloud, to).expect(422);

    await deliverPreference(cloud, to, 'resume', stoppedAt + 60);
    await send(cloud, to).expect(202);
  });

  it('should hold a recipient who stopped marketing messages (user_marketing_preferences) until they resume', async () => {
    const to = recipient();
    const at = seconds();

    await deliverPreference(mmLite, to, 'stop', at, 'user_marketing_preferences');
    await send(mmLite, to).expect(422);
    await deliverPreference(mmLite, to, 'resume', at + 1);
    await send(mmLite, to).expect(202);
    // An older stop, delivered after the resume, does not hold them again.
    await deliverPreference(mmLite, to, 'stop', at - 30);
    await send(mmLite, to).expect(202);
  });

  it('should acknowledge and ignore statuses of messages it did not send', async () => {
    const to = recipient();
    const { id } = (await send(cloud, to).expect(202)).body as { id: string };
    const before = await row(id);
    const unknown = `wamid.${randomBytes(24).toString('base64url')}`;

    const inbox = await deliverStatuses(cloud, [status(unknown, 'delivered', seconds(), recipient())]);

    expect(inbox.outcome).toEqual([expect.objectContaining({ field: 'messages', outcome: 'IGNORED' })]);
    expect(await row(id)).toEqual(before);
  });

  it('should apply the status of its own send among statuses of messages it did not send in one change', async () => {
    const to = recipient();
    const { id } = (await send(cloud, to).expect(202)).body as { id: string };
    const wamid = (await row(id)).message_id as string;
    const unknown = (): string => `wamid.${randomBytes(24).toString('base64url')}`;
    const at = seconds();

    const inbox = await deliverStatuses(cloud, [
      status(unknown(), 'delivered', at, recipient()),
      status(wamid, 'delivered', at, to),
      status(unknown(), 'read', at, recipient()),
    ]);

    expect(inbox.outcome).toEqual([expect.objectContaining({ field: 'messages', outcome: 'APPLIED' })]);
    expect(await row(id)).toMatchObject({ status: 'DELIVERED', message_id: wamid });
  });

  it('should record a send whose answer was lost as UNKNOWN and reconcile it by its status webhook', async () => {
    sut.simulator.injectFault({
      method: 'POST',
      path: `/${mmLite.phoneNumberId}/marketing_messages`,
      kind: 'accept_then_hang',
      times: 1,
    });
    const to = recipient();

    const lost = await send(mmLite, to).expect(504);

    expect(lost.body).toMatchObject({ code: 'SEND_OUTCOME_UNKNOWN', id: expect.any(String) });
    const id = (lost.body as { id: string }).id;
    expect(await row(id)).toMatchObject({ status: 'UNKNOWN', message_id: null });
    // Meta took it: its status webhooks name the wamid the service never saw, and the recipient.
    const accepted = sut.simulator.sentMessages.filter((message) => message.to === to);
    expect(accepted).toHaveLength(1);
    const wamid = accepted[0].id;
    const at = seconds();

    await deliverStatuses(mmLite, [status(wamid, 'sent', at, to)]);
    expect(await row(id)).toMatchObject({ status: 'SENT', message_id: wamid });
    await deliverStatuses(mmLite, [status(wamid, 'delivered', at + 1, to)]);
    expect(await row(id)).toMatchObject({ status: 'DELIVERED', message_id: wamid });
  });

  it('should reconcile a lost send by number and recipient past an older one of the number under another WABA', async () => {
    sut.simulator.injectFault({
      method: 'POST',
      path: `/${mmLite.phoneNumberId}/marketing_messages`,
      kind: 'accept_then_hang',
      times: 2,
    });
    const to = recipient();
    const older = ((await send(mmLite, to).expect(504)).body as { id: string }).id;
    const newer = ((await send(mmLite, to).expect(504)).body as { id: string }).id;
    // The number's older lost send is recorded under another WABA: only the newer one is this WABA's.
    await db.query(`UPDATE marketing_messages SET waba_id = '999000000000001' WHERE id = $1`, [older]);
    const wamid = sut.simulator.sentMessages.filter((message) => message.to === to).at(-1)!.id;

    await deliverStatuses(mmLite, [status(wamid, 'delivered', seconds(), to)]);

    expect(await row(newer)).toMatchObject({ status: 'DELIVERED', message_id: wamid });
    expect(await row(older)).toMatchObject({ status: 'UNKNOWN', message_id: null });
  });

  it('should reconcile a lost Cloud API send by the callback data Meta echoes', async () => {
    sut.simulator.injectFault({
      method: 'POST',
      path: `/${cloud.phoneNumberId}/messages`,
      kind: 'accept_then_reset',
      times: 1,
    });
    const to = recipient();

    const id = ((await send(cloud, to).expect(504)).body as { id: string }).id;
    const wamid = sut.simulator.sentMessages.filter((message) => message.to === to)[0].id;
    // The status names a recipient the send did not use: only the callback data ties it to the send.
    await deliverStatuses(cloud, [
      status(wamid, 'delivered', seconds(), recipient(), { biz_opaque_callback_data: id }),
    ]);

    expect(await row(id)).toMatchObject({ status: 'DELIVERED', message_id: wamid });
  });
});

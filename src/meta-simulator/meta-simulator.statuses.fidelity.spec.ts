import { MetaSimulator } from './meta-simulator';
import { SIM_DEMO_IDS } from './meta-simulator.constants';
import { graphCall, readFixture, shape, startWebhookReceiver, type WebhookReceiver } from './meta-simulator.testing';
import type { JsonObject, RecipientOutcome } from './meta-simulator.types';

type Json = unknown;

/** `entry[0].changes[0].value` of a webhook body. */
function valueOf(payload: Json): Record<string, Json> {
  return (payload as { entry: Array<{ changes: Array<{ value: Record<string, Json> }> }> }).entry[0].changes[0].value;
}

function statusOf(payload: Json): Record<string, Json> {
  return (valueOf(payload).statuses as Array<Record<string, Json>>)[0];
}

function contactOf(payload: Json): Record<string, Json> {
  return (valueOf(payload).contacts as Array<Record<string, Json>>)[0];
}

/** A copy of a fixture with edits applied to its first change's value (documented variants of one payload). */
function variant(path: string, edit: (value: Record<string, Json>) => void): JsonObject {
  const copy = structuredClone(readFixture<JsonObject>(path));
  edit(valueOf(copy));
  return copy;
}

const GB_PHONE = '447700900123';
const TEMPLATE = { name: 'promo', language: { code: 'en_US' } };

describe('MetaSimulator status and user_preferences webhooks (fixtures/webhooks/messages.status.*)', () => {
  let sut: MetaSimulator;
  let base: string;
  let token: string;
  let receiver: WebhookReceiver;
  let nowMs = Date.parse('2026-05-01T10:00:00Z');

  const send = async (
    body: Record<string, Json>,
    options: { edge?: 'messages' | 'marketing_messages'; version?: string } = {},
  ): Promise<string> => {
    const res = await graphCall(
      base,
      'POST',
      `/${options.version ?? 'v25.0'}/${SIM_DEMO_IDS.phoneNumberId}/${options.edge ?? 'marketing_messages'}`,
      { token, body: { messaging_product: 'whatsapp', type: 'template', template: TEMPLATE, ...body } },
    );
    expect(res.status).toBe(200);
    return (res.json as { messages: Array<{ id: string }> }).messages[0].id;
  };
  /** Every webhook received about a message, in arrival order. */
  const deliveriesOf = async (wamid: string): Promise<JsonObject[]> => {
    await sut.flushWebhooks();
    return receiver.received
      .map((item) => JSON.parse(item.body) as JsonObject)
      .filter((payload) => valueOf(payload).statuses && statusOf(payload).id === wamid);
  };
  const statusesOf = async (wamid: string): Promise<Json[]> =>
    (await deliveriesOf(wamid)).map((payload) => statusOf(payload).status);

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    sut = new MetaSimulator({
      appId: SIM_DEMO_IDS.appId,
      appSecret: 'fidelity-secret',
      webhookUrl: receiver.url,
      now: () => new Date(nowMs),
      statusWebhooks: 'all',
    });
    base = await sut.start();
  });

  afterAll(async () => {
    await sut.stop();
    await receiver.close();
  });

  beforeEach(async () => {
    await sut.flushWebhooks();
    sut.reset();
    token = sut.seedDemo().token;
    sut.updateWaba(SIM_DEMO_IDS.wabaId, { marketingMessagesOnboardingStatus: 'ONBOARDED' });
    receiver.received.length = 0;
    // Sends are counted per second; a fresh second per test keeps throughput limits out of the way.
    nowMs += 60_000;
  });

  describe('lifecycle', () => {
    it('should deliver sent, delivered and read one by one, shaped like the v24+ and 2026 fixtures', async () => {
      const wamid = await send({ to: `+${GB_PHONE}` });

      const [sent, delivered, read] = await deliveriesOf(wamid);

      expect(await statusesOf(wamid)).toEqual(['sent', 'delivered', 'read']);
      // v24+: `sent` is minimal, plus the BSUID and the contacts block of 2026 (no username on `sent`).
      const phoneContact = (value: Record<string, Json>, status: string): void => {
        const contact = (value.contacts as Array<Record<string, Json>>)[0];
        delete (contact.profile as Record<string, Json>).username;
        delete contact.parent_user_id;
        contact.wa_id = GB_PHONE;
        const documented = (value.statuses as Array<Record<string, Json>>)[0];
        delete documented.recipient_parent_user_id;
        documented.recipient_id = GB_PHONE;
        documented.status = status;
      };
      const documentedDelivered = variant('2026/webhooks/messages.status.delivered.sent_to_bsuid.json', (value) =>
        phoneContact(value, 'delivered'),
      );
      const documentedSent = variant('2026/webhooks/messages.status.delivered.sent_to_bsuid.json', (value) => {
        phoneContact(value, 'sent');
        delete (value.statuses as Array<Record<string, Json>>)[0].pricing;
      });
      expect(shape(sent)).toEqual(shape(documentedSent));
      expect(shape(statusOf(sent))).toEqual(
        shape({ ...statusOf(readFixture('webhooks/messages.status.sent_v24_minimal.json')), recipient_user_id: 'x' }),
      );
      expect(shape(delivered)).toEqual(shape(documentedDelivered));
      expect(shape(read)).toEqual(shape(documentedSent));
      expect(statusOf(delivered).pricing).toEqual(
        expect.objectContaining(
          readFixture<{ pricing: Record<string, Json> }>(
            'webhooks/messages.status.pricing_fragment.marketing_lite.json',
          ).pricing,
        ),
      );
      for (const payload of [sent, delivered, read]) {
        expect(statusOf(payload)).toMatchObject({
          recipient_id: GB_PHONE,
          recipient_user_id: contactOf(payload).user_id,
        });
        expect(contactOf(payload)).toMatchObject({ wa_id: GB_PHONE, user_id: expect.stringMatching(/^GB\.\d+$/) });
      }
    });

    it('should keep conversation and pricing on sent and delivered before v24.0, category marketing on Cloud API', async () => {
      const wamid = await send({ to: GB_PHONE }, { edge: 'messages', version: 'v23.0' });

      const [sent, delivered, read] = await deliveriesOf(wamid);

      const documented = statusOf(readFixture('webhooks/messages.status.sent_marketing.json'));
      expect(shape(statusOf(sent))).toEqual(shape({ ...documented, recipient_user_id: 'x' }));
      expect(shape(statusOf(delivered))).toEqual(shape({ ...documented, recipient_user_id: 'x' }));
      expect(statusOf(sent).pricing).toEqual(documented.pricing);
      expect(statusOf(delivered).conversation).toEqual(statusOf(sent).conversation);
      expect(statusOf(sent).conversation).toMatchObject({ origin: { type: 'marketing' } });
      expect(statusOf(read)).not.toHaveProperty('pricing');
      expect(statusOf(read)).not.toHaveProperty('conversation');
    });

    it('should report a send to a BSUID without a phone number, with a username after sent, like the 2026 fixture', async () => {
      const bsuid = 'GB.13491208655302741918';
      const wamid = await send({ recipient: bsuid, biz_opaque_callback_data: 'campaign-7' });

      const [sent, delivered] = await deliveriesOf(wamid);

      // Parent BSUIDs exist only for portfolios enrolled together, which the simulator does not model.
      const documented = variant('2026/webhooks/messages.status.delivered.sent_to_bsuid.json', (value) => {
        delete (value.contacts as Array<Record<string, Json>>)[0].parent_user_id;
        const status = (value.statuses as Array<Record<string, Json>>)[0];
        delete status.recipient_parent_user_id;
        status.biz_opaque_callback_data = 'campaign-7';
      });
      expect(shape(delivered)).toEqual(shape(documented));
      expect(statusOf(delivered)).toMatchObject({ recipient_user_id: bsuid, pricing: { category: 'marketing_lite' } });
      expect(contactOf(delivered)).toMatchObject({ user_id: bsuid });
      expect(contactOf(sent).profile).not.toHaveProperty('username');
      for (const payload of [sent, delivered]) {
        expect(statusOf(payload)).not.toHaveProperty('recipient_id');
        expect(contactOf(payload)).not.toHaveProperty('wa_id');
      }
    });

    it('should stop at delivered for a recipient who never reads', async () => {
      sut.setRecipientOutcome(`+${GB_PHONE}`, 'delivered');

      expect(await statusesOf(await send({ to: GB_PHONE }))).toEqual(['sent', 'delivered']);
    });

    it.each([
      ['read_before_delivered', ['sent', 'read', 'delivered'], 'read'],
      ['sent_last', ['delivered', 'read', 'sent'], 'delivered'],
    ] as Array<[RecipientOutcome, string[], string]>)(
      'should deliver the statuses of a %s recipient in that order, pricing on the first of delivered/read',
      async (outcome, order, billed) => {
        sut.setRecipientOutcome(GB_PHONE, outcome);
        const wamid = await send({ to: GB_PHONE });

        const payloads = await deliveriesOf(wamid);

        expect(payloads.map((payload) => statusOf(payload).status)).toEqual(order);
        expect(payloads.filter((payload) => 'pricing' in statusOf(payload)).map((p) => statusOf(p).status)).toEqual([
          billed,
        ]);
      },
    );

    it('should send only failures in mode failed, and nothing in mode none', async () => {
      sut.setStatusWebhooks('failed');
      sut.setRecipientOutcome('447700900999', 'undeliverable');
      const delivered = await send({ to: GB_PHONE });
      const failed = await send({ to: '447700900999' });

      expect(await statusesOf(delivered)).toEqual([]);
      expect(await statusesOf(failed)).toEqual(['failed']);

      sut.setStatusWebhooks('none');
      expect(await statusesOf(await send({ to: '447700900999' }))).toEqual([]);
    });

    it('should drop the statuses not yet due when reset', async () => {
      sut.setStatusWebhooks('all', { read: 600_000 });
      const wamid = await send({ to: GB_PHONE });
      for (let polls = 0; polls < 400 && receiver.received.length < 2; polls += 1) {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }

      sut.reset();

      expect(await statusesOf(wamid)).toEqual(['sent', 'delivered']);
      expect(sut.statusWebhooks).toEqual({ mode: 'all', delaysMs: { sent: 0, delivered: 0, read: 0 } });
    });
  });

  describe('failures by recipient', () => {
    const failedFixture = readFixture<JsonObject>('2026/webhooks/messages.status.failed_131049.bsuid_era.json');

    it.each([
      ['per_user_limit', 131049],
      ['opted_out', 131050],
      ['experiment', 130472],
      ['undeliverable', 131026],
    ] as Array<[RecipientOutcome, number]>)(
      'should fail a marketing send to a %s recipient with %d alone, shaped like the failed fixture',
      async (outcome, code) => {
        sut.setRecipientOutcome(GB_PHONE, outcome);

        const payloads = await deliveriesOf(await send({ to: GB_PHONE }));

        expect(payloads).toHaveLength(1);
        expect(shape(payloads[0])).toEqual(shape(failedFixture));
        expect(statusOf(payloads[0])).toMatchObject({ status: 'failed', recipient_id: GB_PHONE });
        expect((statusOf(payloads[0]).errors as Array<{ code: number }>)[0].code).toBe(code);
      },
    );

    it('should fail a marketing template to a US number with 131049 exactly as documented', async () => {
      const payloads = await deliveriesOf(await send({ to: '+16505551234' }, { edge: 'messages' }));

      const documented = readFixture<JsonObject>('webhooks/messages.status.failed_131049.json');
      expect(payloads).toHaveLength(1);
      expect(shape(payloads[0])).toEqual(shape(documented));
      expect(statusOf(payloads[0]).errors).toEqual(statusOf(documented).errors);
    });

    it('should fail any message to an undeliverable recipient, but only marketing for the other outcomes', async () => {
      sut.setRecipientOutcome(GB_PHONE, 'undeliverable');
      sut.setRecipientOutcome('447700900999', 'opted_out');
      const text = { type: 'text', text: { body: 'hi' }, template: undefined };

      const undeliverable = await statusesOf(await send({ to: GB_PHONE, ...text }, { edge: 'messages' }));
      const optedOut = await statusesOf(await send({ to: '447700900999', ...text }, { edge: 'messages' }));

      expect(undeliverable).toEqual(['failed']);
      expect(optedOut).toEqual(['sent', 'delivered', 'read']);
    });

    it('should name a BSUID recipient of a failure by recipient_user_id, without contacts', async () => {
      sut.setRecipientOutcome('GB.555', 'experiment');

      const [failed] = await deliveriesOf(await send({ recipient: 'GB.555' }));

      expect(valueOf(failed)).not.toHaveProperty('contacts');
      expect(statusOf(failed)).toMatchObject({ status: 'failed', recipient_user_id: 'GB.555' });
      expect(statusOf(failed)).not.toHaveProperty('recipient_id');
    });

    it('should refuse an unknown outcome over the control API', async () => {
      const res = await graphCall(base, 'POST', '/_sim/recipients', { body: { to: GB_PHONE, outcome: 'lost' } });

      expect(res.status).toBe(400);
      expect(res.text).toContain('Invalid recipient outcome');
    });
  });

  describe('user_preferences', () => {
    const fixture = readFixture<JsonObject>('2026/webhooks/user_preferences.resume.json');

    it('should emit a resume exactly like the documented example, plus the 2026 user_id', async () => {
      nowMs = 1731705721_000;
      await sut.userPreference(SIM_DEMO_IDS.phoneNumberId, '+1 650-555-1234', 'stop');
      receiver.received.length = 0;

      const delivery = await sut.userPreference(SIM_DEMO_IDS.phoneNumberId, '16505551234', 'resume');

      const body = JSON.parse(receiver.received[0].body) as JsonObject;
      expect(delivery).toMatchObject({ status: 200, route: 'app' });
      const userId = contactOf(body).user_id;
      expect(userId).toMatch(/^US\.\d+$/);
      const expected = variant('2026/webhooks/user_preferences.resume.json', (value) => {
        (value.contacts as Array<Record<string, Json>>)[0].user_id = userId;
        (value.user_preferences as Array<Record<string, Json>>)[0].user_id = userId;
      });
      expect(shape(body)).toEqual(shape(expected));
      expect(valueOf(body).user_preferences).toEqual(valueOf(expected).user_preferences);
      expect(valueOf(body).metadata).toEqual(valueOf(fixture).metadata);
    });

    it('should fail marketing sends after a stop with 131050, by phone and by BSUID, until the user resumes', async () => {
      const stop = await graphCall(base, 'POST', `/_sim/phone-numbers/${SIM_DEMO_IDS.phoneNumberId}/user-preferences`, {
        body: { recipient: `+${GB_PHONE}`, value: 'stop' },
      });
      const stopBody = JSON.parse(receiver.received[0].body) as JsonObject;
      const preference = (valueOf(stopBody).user_preferences as Array<Record<string, Json>>)[0];
      expect(stop.status).toBe(200);
      expect(preference).toMatchObject({ value: 'stop', detail: 'User requested to stop marketing messages' });

      const byPhone = await deliveriesOf(await send({ to: GB_PHONE }));
      const byBsuid = await deliveriesOf(await send({ recipient: preference.user_id }));
      const utility = await statusesOf(
        await send({ to: GB_PHONE, type: 'text', text: { body: 'hi' } }, { edge: 'messages' }),
      );
      await sut.userPreference(SIM_DEMO_IDS.phoneNumberId, GB_PHONE, 'resume');
      const resumed = await statusesOf(await send({ to: GB_PHONE }));

      for (const payloads of [byPhone, byBsuid]) {
        expect((statusOf(payloads[0]).errors as Array<{ code: number }>)[0].code).toBe(131050);
        expect(payloads).toHaveLength(1);
      }
      expect(utility).toEqual(['sent', 'delivered', 'read']);
      expect(resumed).toEqual(['sent', 'delivered', 'read']);
    });

    it('should name a BSUID-only user without wa_id, and keep the stop to that WABA', async () => {
      const other = sut.createWaba({ businessId: SIM_DEMO_IDS.businessId });
      const otherPhone = sut.createPhoneNumber({ wabaId: other.id });
      await sut.userPreference(otherPhone.id, 'GB.777', 'stop');

      const body = JSON.parse(receiver.received[0].body) as JsonObject;
      const failures = await statusesOf(await send({ recipient: 'GB.777' }));

      expect(contactOf(body)).not.toHaveProperty('wa_id');
      expect((valueOf(body).user_preferences as Array<Record<string, Json>>)[0]).not.toHaveProperty('wa_id');
      expect(failures).toEqual(['sent', 'delivered', 'read']);
    });

    it('should answer 404 for an unknown number and 400 for an unknown preference', async () => {
      const unknown = await graphCall(base, 'POST', '/_sim/phone-numbers/999/user-preferences', {
        body: { recipient: GB_PHONE, value: 'stop' },
      });
      const bad = await graphCall(base, 'POST', `/_sim/phone-numbers/${SIM_DEMO_IDS.phoneNumberId}/user-preferences`, {
        body: { recipient: GB_PHONE, value: 'pause' },
      });

      expect(unknown.status).toBe(404);
      expect(bad.status).toBe(400);
    });
  });

  describe('control API', () => {
    it('should change the mode and delays at runtime and read them back', async () => {
      const changed = await graphCall(base, 'PUT', '/_sim/status-webhooks', {
        body: { mode: 'failed', delaysMs: { read: 4000 } },
      });
      const bad = await graphCall(base, 'PUT', '/_sim/status-webhooks', { body: { delaysMs: { read: -1 } } });
      const read = await graphCall(base, 'GET', '/_sim/status-webhooks');

      expect(changed.json).toEqual({ mode: 'failed', delaysMs: { sent: 0, delivered: 0, read: 4000 } });
      expect(bad.status).toBe(400);
      expect(read.json).toEqual(changed.json);
    });
  });
});

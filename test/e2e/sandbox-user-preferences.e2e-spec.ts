import { Client } from 'pg';

import { createTestApp, type TestApp } from 'test/utils/create-test-app';
import { processedInboxRows } from 'test/utils/webhook-inbox';

const TEMPLATE = { name: 'seasonal_sale_promo', language: 'en_US' };

/** `entry[0].changes[0]` of a delivered webhook body. */
function changeOf(body: string): { field: string; value: Record<string, unknown> } {
  return (JSON.parse(body) as { entry: Array<{ changes: Array<{ field: string; value: Record<string, unknown> }> }> })
    .entry[0].changes[0];
}

describe('Sandbox: a recipient stops and resumes marketing messages (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let key: string;
  let phoneNumberId: string;

  const auth = (bearer = key): [string, string] => ['Authorization', `Bearer ${bearer}`];
  const preference = (body: Record<string, unknown>, bearer = key, id = phoneNumberId) =>
    sut
      .http()
      .post(`/api/v1/sandbox/phone-numbers/${id}/user-preferences`)
      .set(...auth(bearer))
      .send(body);
  /** The status webhooks Meta delivered to the service about a message, in order. */
  const statusesOf = async (wamid: string): Promise<Array<Record<string, unknown>>> => {
    await sut.simulator.flushWebhooks();
    return sut.simulator.webhooks
      .filter((delivery) => changeOf(delivery.body).field === 'messages')
      .map((delivery) => (changeOf(delivery.body).value.statuses as Array<Record<string, unknown>>)[0])
      .filter((status) => status.id === wamid);
  };
  const send = (to: string) =>
    sut
      .http()
      .post(`/api/v1/phone-numbers/${phoneNumberId}/marketing-messages`)
      .set(...auth())
      .send({ to, template: TEMPLATE });
  /** Waits until the service has applied every user_preferences webhook delivered so far. */
  const preferencesApplied = async (): Promise<void> => {
    await sut.simulator.flushWebhooks();
    const deliveries = sut.simulator.webhooks.filter((item) => changeOf(item.body).field === 'user_preferences');
    await processedInboxRows(db, deliveries);
  };

  beforeAll(async () => {
    sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    key = (await sut.createOrganization('Preferences Co')).key;
    const session = sut.simulator.createSignupSession({
      wabaName: 'Preferences WABA',
      templates: [{ ...TEMPLATE, category: 'MARKETING' }],
    });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set(...auth())
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    phoneNumberId = session.phoneNumberId;
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  it('should deliver the user_preferences webhook, then refuse marketing sends before Meta until a resume', async () => {
    await preference({ to: '+44 7700 900555', value: 'STOP' }).expect(202);
    await preferencesApplied();
    const delivered = sut.simulator.webhooks.filter((item) => changeOf(item.body).field === 'user_preferences');
    // The service applied the stop: it refuses the send itself (Meta would fail it with 131050, as the
    // simulator's own specs show), and nothing reaches Meta.
    const refused = await send('+447700900555').expect(422);
    expect(sut.simulator.sentMessages.filter((message) => message.to === '+447700900555')).toEqual([]);
    await preference({ to: '+447700900555', value: 'RESUME' }).expect(202);
    await preferencesApplied();
    const resumed = await statusesOf(
      ((await send('+447700900555').expect(202)).body as { messageId: string }).messageId,
    );

    expect(delivered).toEqual([expect.objectContaining({ status: 200, route: 'app' })]);
    expect(changeOf(delivered[0].body).value.user_preferences).toEqual([
      expect.objectContaining({ wa_id: '447700900555', value: 'stop', category: 'marketing_messages' }),
    ]);
    expect(refused.body).toMatchObject({ code: 'RECIPIENT_OPTED_OUT', errors: [{ field: 'to' }] });
    // The test app's simulator reports failures only (its default); the resumed send has none.
    expect(resumed).toEqual([]);
  });

  it("should refuse a number of another organization, and bad input naming the field, before Meta's side changes", async () => {
    const other = (await sut.createOrganization('Other Co')).key;
    const before = sut.simulator.webhooks.length;

    const foreign = await preference({ to: '+447700900556', value: 'STOP' }, other);
    const badValue = await preference({ to: '+447700900556', value: 'PAUSE' });
    const both = await preference({ to: '+447700900556', recipient: 'GB.1234', value: 'STOP' });
    const neither = await preference({ value: 'STOP' });

    expect(foreign.status).toBe(404);
    expect(badValue.status).toBe(400);
    expect(JSON.stringify(badValue.body.errors)).toContain('value');
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body.errors)).toContain('recipient');
    expect(neither.status).toBe(400);
    expect(JSON.stringify(neither.body.errors)).toContain('to');
    expect(sut.simulator.webhooks.length).toBe(before);
  });
});

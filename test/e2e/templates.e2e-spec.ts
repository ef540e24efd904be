import { createHash } from 'node:crypto';

import { Client } from 'pg';

import type { WebhookDelivery } from 'src/meta-simulator/meta-simulator.types';
import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, type TestApp } from 'test/utils/create-test-app';

type Connected = { key: string; wabaId: string; phoneNumberId: string };
type InboxRow = { status: string; outcome: Array<Record<string, unknown>> | null };
type Template = Record<string, unknown> & { templateId: string; name: string };

const POLL_MS = 20;
const WAIT_LIMIT_MS = 10_000;

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    value = await read();
  }
  return value;
}

const sha256 = (body: string) => createHash('sha256').update(body, 'utf8').digest('hex');

describe('Templates (e2e)', () => {
  let sut: TestApp;
  let db: Client;

  const get = (key: string, path: string) => sut.http().get(path).set('Authorization', `Bearer ${key}`);
  const templates = async (connected: Connected, query: Record<string, string> = {}): Promise<Template[]> => {
    const response = await get(connected.key, `/api/v1/wabas/${connected.wabaId}/templates`).query(query).expect(200);
    return response.body.data as Template[];
  };
  const template = async (connected: Connected, name: string): Promise<Template | undefined> =>
    (await templates(connected, { q: name })).find((entry) => entry.name === name);
  const approvedMarketing = async (connected: Connected): Promise<number> =>
    (await get(connected.key, `/api/v1/wabas/${connected.wabaId}/mm-lite`).expect(200)).body
      .approvedMarketingTemplates as number;
  /** Waits until the delivery's inbox row is DONE and returns the outcome of its one change. */
  const outcomeOf = async (delivery: WebhookDelivery | null): Promise<Record<string, unknown>> => {
    expect(delivery?.status).toBe(200);
    const row = await waitFor(
      async () =>
        (
          await db.query<InboxRow>('SELECT status, outcome FROM webhook_inbox WHERE payload_sha256 = $1', [
            sha256(delivery?.body ?? ''),
          ])
        ).rows[0],
      (value) => value?.status === 'DONE',
    );
    expect(row?.status).toBe('DONE');
    return row.outcome?.[0] ?? {};
  };
  const templatesDue = async (wabaId: string): Promise<boolean> => {
    const result = await db.query<{ due: boolean }>(
      `SELECT s.due_at <= now() AS due FROM waba_template_syncs s JOIN wabas w ON w.id = s.waba_id
        WHERE w.waba_id = $1`,
      [wabaId],
    );
    return result.rows[0]?.due ?? true;
  };

  const connect = async (name: string): Promise<Connected> => {
    const { key } = await sut.createOrganization(name);
    const session = sut.simulator.createSignupSession({ wabaName: `${name} WABA` });
    await sut
      .http()
      .post('/api/v1/phone-numbers')
      .set('Authorization', `Bearer ${key}`)
      .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
      .expect(201);
    return { key, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId };
  };

  const runRound = async () =>
    (await sut.http().post('/api/v1/admin/sync-rounds').set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`).expect(200))
      .body as { wabas: number; succeeded: number; metaCalls: number };

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  beforeEach(() => {
    sut.simulator.clearFaults();
    sut.simulator.clearRequests();
  });

  describe('read on connect', () => {
    it("should read the WABA's templates with explicit fields once connected, outside the connect's checks", async () => {
      const connected = await connect('Templates on connect');

      const reads = sut.simulator.requests.filter((entry) => entry.path === `/${connected.wabaId}/message_templates`);
      expect(reads).toHaveLength(1);
      expect(reads[0].query.fields.split(',')).toEqual(
        expect.arrayContaining(['id', 'name', 'language', 'status', 'category', 'correct_category', 'quality_score']),
      );
      const listed = await templates(connected);
      expect(listed.map((entry) => entry.name).sort()).toEqual([
        'coupon_expiration_reminder_number_vars',
        'reservation_confirmation',
        'welcome_template',
      ]);
      expect(listed.find((entry) => entry.name === 'coupon_expiration_reminder_number_vars')).toEqual({
        templateId: expect.stringMatching(/^\d{16}$/),
        name: 'coupon_expiration_reminder_number_vars',
        language: 'en',
        category: 'MARKETING',
        pendingCategory: null,
        status: 'APPROVED',
        reason: null,
        quality: 'GREEN',
        updatedAt: expect.any(String),
      });
      expect(await approvedMarketing(connected)).toBe(1);
      expect(await templatesDue(connected.wabaId)).toBe(false);
    });

    it('should connect even when Meta fails to list the templates, and leave them due for a later read', async () => {
      const { key } = await sut.createOrganization('Templates fail');
      const session = sut.simulator.createSignupSession({ wabaName: 'Templates fail WABA' });
      sut.simulator.injectFault({ kind: 'http503', path: `/${session.wabaId}/message_templates`, times: 5 });

      await sut
        .http()
        .post('/api/v1/phone-numbers')
        .set('Authorization', `Bearer ${key}`)
        .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
        .expect(201);

      const failures = await db.query<{ failures: number; last_error_code: string }>(
        `SELECT s.failures, s.last_error_code FROM waba_template_syncs s JOIN wabas w ON w.id = s.waba_id
          WHERE w.waba_id = $1`,
        [session.wabaId],
      );
      expect(failures.rows[0]).toEqual({ failures: 1, last_error_code: 'TRANSIENT' });
      expect(await templates({ key, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })).toEqual([]);
    });
  });

  describe('list', () => {
    let connected: Connected;

    beforeAll(async () => {
      connected = await connect('Templates list');
    });

    it('should filter by category, status and name, and page by template ID', async () => {
      expect((await templates(connected, { category: 'UTILITY' })).map((entry) => entry.name).sort()).toEqual([
        'reservation_confirmation',
        'welcome_template',
      ]);
      expect(await templates(connected, { status: 'PAUSED' })).toEqual([]);
      expect((await templates(connected, { q: 'COUPON' })).map((entry) => entry.name)).toEqual([
        'coupon_expiration_reminder_number_vars',
      ]);

      const first = await get(connected.key, `/api/v1/wabas/${connected.wabaId}/templates`)
        .query({ limit: '2' })
        .expect(200);
      expect(first.body.data).toHaveLength(2);
      const second = await get(connected.key, `/api/v1/wabas/${connected.wabaId}/templates`)
        .query({ limit: '2', cursor: first.body.nextCursor as string })
        .expect(200);
      expect(second.body).toMatchObject({ nextCursor: null });
      expect(second.body.data).toHaveLength(1);
      expect(second.body.data[0].templateId > first.body.data[1].templateId).toBe(true);
    });

    it.each([
      ['category', { category: 'PROMOTIONAL' }],
      ['status', { status: 'approved!' }],
      ['limit', { limit: '0' }],
      ['cursor', { cursor: 'not-a-cursor' }],
    ])('should answer 400 naming %s for a bad value', async (field, query) => {
      const response = await get(connected.key, `/api/v1/wabas/${connected.wabaId}/templates`).query(query).expect(400);
      expect(response.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it("should answer 404 for another organization's WABA", async () => {
      const other = await sut.createOrganization('Templates other');
      const response = await get(other.key, `/api/v1/wabas/${connected.wabaId}/templates`).expect(404);
      expect(response.body.code).toBe('NOT_FOUND');
    });
  });

  describe('webhooks', () => {
    let connected: Connected;

    beforeAll(async () => {
      connected = await connect('Templates webhooks');
    });

    it('should pause a template, then approve it again, with the pause title as the reason', async () => {
      const name = 'coupon_expiration_reminder_number_vars';
      const paused = await outcomeOf(
        await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_PAUSED', { templateName: name }),
      );
      expect(paused).toMatchObject({ field: 'message_template_status_update', outcome: 'APPLIED' });
      expect(await template(connected, name)).toMatchObject({
        status: 'PAUSED',
        reason: 'FIRST_PAUSE',
        quality: 'GREEN',
      });
      expect(await approvedMarketing(connected)).toBe(0);

      await outcomeOf(await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_APPROVED', { templateName: name }));
      expect(await template(connected, name)).toMatchObject({ status: 'APPROVED', reason: null });
      expect(await approvedMarketing(connected)).toBe(1);
    });

    it('should show an impending category change as pending only, and apply the completed one', async () => {
      const name = 'welcome_template';
      const impending = await outcomeOf(
        await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_CATEGORY_PENDING', {
          templateName: name,
          category: 'MARKETING',
        }),
      );
      expect(impending).toMatchObject({ field: 'template_category_update', outcome: 'APPLIED' });
      expect(await template(connected, name)).toMatchObject({ category: 'UTILITY', pendingCategory: 'MARKETING' });
      // Not routed on: still not a marketing template.
      expect(await approvedMarketing(connected)).toBe(1);
      expect((await templates(connected, { category: 'MARKETING' })).map((entry) => entry.name)).not.toContain(name);

      await outcomeOf(
        await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_CATEGORY_CHANGED', { templateName: name }),
      );
      expect(await template(connected, name)).toMatchObject({ category: 'MARKETING', pendingCategory: null });
      expect(await approvedMarketing(connected)).toBe(2);
      const stored = await db.query<{ previous_category: string; source: string }>(
        'SELECT previous_category, source FROM waba_templates WHERE name = $1 AND waba_id = (SELECT id FROM wabas WHERE waba_id = $2)',
        [name, connected.wabaId],
      );
      expect(stored.rows[0]).toEqual({ previous_category: 'UTILITY', source: 'WEBHOOK' });
    });

    it('should apply a quality change, and make the templates due for a read on an edit', async () => {
      const name = 'reservation_confirmation';
      await outcomeOf(
        await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_QUALITY_CHANGED', {
          templateName: name,
          qualityScore: 'YELLOW',
        }),
      );
      expect(await template(connected, name)).toMatchObject({ quality: 'YELLOW' });
      expect(await templatesDue(connected.wabaId)).toBe(false);

      const edited = await outcomeOf(
        await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_COMPONENTS_CHANGED', { templateName: name }),
      );
      expect(edited).toMatchObject({ field: 'message_template_components_update', outcome: 'REFRESH_SCHEDULED' });
      expect(await templatesDue(connected.wabaId)).toBe(true);
    });

    it('should create a template Meta approved that was not read yet, from its status webhook', async () => {
      await outcomeOf(
        await sut.simulator.applyEvent(connected.wabaId, 'TEMPLATE_APPROVED', {
          templateName: 'spring_sale',
          category: 'MARKETING',
          language: 'en_US',
        }),
      );
      expect(await template(connected, 'spring_sale')).toMatchObject({
        language: 'en_US',
        category: 'MARKETING',
        status: 'APPROVED',
      });
    });

    it('should keep the digits of a template ID beyond 2^53 and never let an older webhook win', async () => {
      const now = Math.floor(Date.now() / 1000);
      const body = (time: number, event: string) =>
        `{"object":"whatsapp_business_account","entry":[{"id":"${connected.wabaId}","time":${time},"changes":[{"field":"message_template_status_update","value":{"event":"${event}","message_template_id":12345678901234567890,"message_template_name":"huge_id","message_template_language":"en-US","reason":"NONE","message_template_category":"UTILITY"}}]}]}`;

      await outcomeOf(await sut.simulator.sendWebhook(body(now, 'APPROVED')));
      expect(await template(connected, 'huge_id')).toMatchObject({
        templateId: '12345678901234567890',
        language: 'en_US',
        status: 'APPROVED',
      });

      const older = await outcomeOf(await sut.simulator.sendWebhook(body(now - 3600, 'PAUSED')));
      expect(older).toMatchObject({ outcome: 'STALE' });
      expect(await template(connected, 'huge_id')).toMatchObject({ status: 'APPROVED' });
    });

    it('should schedule a read for a category change of a template nobody knows', async () => {
      await db.query(
        `UPDATE waba_template_syncs SET due_at = now() + interval '1 day'
          WHERE waba_id = (SELECT id FROM wabas WHERE waba_id = $1)`,
        [connected.wabaId],
      );
      const body = `{"object":"whatsapp_business_account","entry":[{"id":"${connected.wabaId}","time":${Math.floor(Date.now() / 1000)},"changes":[{"field":"template_category_update","value":{"message_template_id":1111222233334444,"message_template_name":"ghost","message_template_language":"en","previous_category":"UTILITY","new_category":"MARKETING"}}]}]}`;

      expect(await outcomeOf(await sut.simulator.sendWebhook(body))).toMatchObject({ outcome: 'REFRESH_SCHEDULED' });
      expect(await templatesDue(connected.wabaId)).toBe(true);
      expect(await template(connected, 'ghost')).toBeUndefined();
    });
  });

  describe('sandbox events and re-sync rounds', () => {
    // An app of its own: a round reads every WABA of the database, and the others' reads would blur the
    // count. META_SANDBOX mounts the sandbox routes the console's "Simulate Meta" menu calls.
    beforeAll(async () => {
      await db.end();
      await sut.close();
      sut = await createTestApp({ env: { META_SANDBOX: 'true' } });
      db = new Client({ connectionString: sut.databaseUrl });
      await db.connect();
    });

    it('should read templates only when due, with one multi-ID call per chunk and pages for a large WABA', async () => {
      const organization = await sut.createOrganization('Templates rounds');
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 3,
        templatesDueAt: null,
      });
      const [small, large] = seeded;
      sut.simulator.updateWaba(small.wabaId, {
        templates: [{ name: 'small_promo', category: 'MARKETING' }],
      });
      sut.simulator.updateWaba(large.wabaId, {
        templates: Array.from({ length: 130 }, (_, index) => ({ name: `bulk_${index}`, category: 'UTILITY' as const })),
      });

      // Statuses: one multi-ID call for the fields, one for the numbers. Templates (all due): one multi-ID
      // call with the edge expanded, and the large WABA's own list to the end (130 = 2 pages of 100).
      const first = await runRound();
      expect(first).toMatchObject({ wabas: 3, succeeded: 3 });
      expect(first.metaCalls).toBe(2 + 1 + 2);
      expect(
        await templates({ key: organization.key, wabaId: large.wabaId, phoneNumberId: '' }, { limit: '100' }),
      ).toHaveLength(100);
      const count = await db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM waba_templates WHERE waba_id = (SELECT id FROM wabas WHERE waba_id = $1)',
        [large.wabaId],
      );
      expect(count.rows[0].n).toBe(130);
      expect(
        (await templates({ key: organization.key, wabaId: small.wabaId, phoneNumberId: '' })).map(
          (entry) => entry.name,
        ),
      ).toEqual(['small_promo']);

      // Read again before they are due: the round's calls are the statuses' alone.
      sut.simulator.clearRequests();
      const second = await runRound();
      expect(second).toMatchObject({ wabas: 3, succeeded: 3 });
      expect(second.metaCalls).toBe(2);
      expect(sut.simulator.requests.filter((entry) => entry.path.endsWith('/message_templates'))).toEqual([]);
    });

    it('should keep a 150-WABA round to one template call per 50 due WABAs, and none when none is due', async () => {
      const organization = await sut.createOrganization('Templates budget');
      const seeded = await seedConnectedWabas(sut.app, sut.simulator, {
        organizationId: organization.id,
        businesses: 1,
        wabasPerBusiness: 150,
        templatesDueAt: null,
      });
      const ids = new Set(seeded.flatMap((item) => [item.wabaId, ...item.phoneNumberIds]));
      const isTemplateCall = (entry: { path: string; query: Record<string, string> }) =>
        entry.path.endsWith('/message_templates') || (entry.query.fields ?? '').startsWith('message_templates');
      const calls = () => {
        const mine = sut.simulator.requests.filter(
          (entry) => (entry.ids ?? [entry.path.split('/')[1]]).some((id) => ids.has(id)) || isTemplateCall(entry),
        );
        const templateCalls = mine.filter(isTemplateCall).length;
        return { statuses: mine.length - templateCalls, templates: templateCalls };
      };

      sut.simulator.clearRequests();
      await runRound();
      const due = calls();
      sut.simulator.clearRequests();
      await runRound();
      const notDue = calls();

      // Statuses: per chunk (≤ 50 WABAs of one token; 3 or 4 chunks, as the round's claims fall) one
      // multi-ID call for the fields and one for the numbers, in both rounds. Templates: one more per chunk
      // when they are due, none when they are not.
      expect(due.statuses).toBeGreaterThanOrEqual(6);
      expect(due.statuses).toBeLessThanOrEqual(8);
      expect(due.templates).toBe(due.statuses / 2);
      expect(notDue).toEqual({ statuses: due.statuses, templates: 0 });
    });

    it("should recategorise a template from the sandbox's Simulate Meta menu, as Meta's webhook says", async () => {
      const connected = await connect('Templates sandbox');
      const event = (body: Record<string, string>) =>
        sut
          .http()
          .post(`/api/v1/sandbox/wabas/${connected.wabaId}/events`)
          .set('Authorization', `Bearer ${connected.key}`)
          .send(body);

      await event({
        type: 'TEMPLATE_CATEGORY_CHANGED',
        templateName: 'welcome_template',
        category: 'MARKETING',
      }).expect(202);
      const changed = await waitFor(
        () => template(connected, 'welcome_template'),
        (value) => value?.category === 'MARKETING',
      );
      expect(changed).toMatchObject({ category: 'MARKETING', pendingCategory: null });
      expect(await approvedMarketing(connected)).toBe(2);

      const refused = await event({ type: 'TEMPLATE_PAUSED', templateName: 'Not A Name' }).expect(400);
      expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'templateName' })]);
    });
  });
});

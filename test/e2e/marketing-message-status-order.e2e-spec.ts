import { randomBytes } from 'node:crypto';

import { MikroORM, RequestContext } from '@mikro-orm/core';
import { Client } from 'pg';

import { ChangeSource } from 'src/modules/audit/change-context';
import { MarketingSendLogService } from 'src/modules/mm-lite/marketing-send-log.service';
import { MarketingMessageStatus as S } from 'src/modules/mm-lite/mm-lite.constants';
import type { MessageStatusReport } from 'src/modules/mm-lite/mm-lite.types';
import { statusApplies } from 'src/modules/mm-lite/sends/status-order';
import { Actors } from 'src/modules/organizations/actor';
import { connectNumber } from 'test/utils/connect-number';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

interface SendRow {
  message_id: string | null;
  status: string;
  meta_sent_at: Date | null;
}

const WEBHOOK = { source: ChangeSource.WEBHOOK, actor: Actors.metaWebhook };

/**
 * The statement that applies statuses, against the rule it implements (statusApplies), and the move of a
 * message ID a status reconciled to the wrong lost send: on rows written directly, through the owner's
 * service, as the inbox worker calls it.
 */
describe('Marketing send statuses: the order rules as PostgreSQL applies them (e2e)', () => {
  let sut: TestApp;
  let db: Client;
  let wabaId: string;
  let phoneNumberId: string;

  const log = () => sut.app.get(MarketingSendLogService);
  const inContext = <T>(work: () => Promise<T>): Promise<T> =>
    RequestContext.create(sut.app.get(MikroORM).em.fork(), work);
  const newWamid = () => `wamid.${randomBytes(18).toString('base64url')}`;
  const row = async (id: string): Promise<SendRow> =>
    (await db.query<SendRow>('SELECT message_id, status, meta_sent_at FROM marketing_messages WHERE id = $1', [id]))
      .rows[0];

  /** A send of the connected number to `to`, made `ageSeconds` ago, as it stands (`status`, `messageId`). */
  async function insertSend(to: string, status: S, messageId: string | null, ageSeconds = 1): Promise<string> {
    const inserted = await db.query<{ id: string }>(
      `INSERT INTO marketing_messages (id, organization_id, waba_id, phone_number_id, channel, template_name,
              template_language, recipient_type, recipient, message_id, status, sent_by, created_at)
       SELECT gen_random_uuid(), organization_id, $1::text, $2, 'MM_LITE', 'promo', 'en_US', 'PHONE_NUMBER', $3,
              $4, $5, 'admin', now() - make_interval(secs => $6)
         FROM wabas WHERE waba_id = $1::text
       RETURNING id`,
      [wabaId, phoneNumberId, to, messageId, status, ageSeconds],
    );
    return inserted.rows[0].id;
  }

  function report(messageId: string, status: S, at: Date, recipients: string[] = []): MessageStatusReport {
    return {
      messageId,
      status,
      at,
      callbackData: null,
      recipients,
      error: status === S.FAILED ? { code: 131026, title: 'Undeliverable', details: null } : null,
      pricingCategory: null,
    };
  }

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    const { key } = await sut.createOrganization('Status order Co');
    ({ wabaId, phoneNumberId } = await connectNumber(sut, key, { wabaName: 'Status order WABA' }));
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  const stored = [S.ACCEPTED, S.SENT, S.DELIVERED, S.READ, S.FAILED];
  const incoming = [S.SENT, S.DELIVERED, S.READ, S.FAILED];
  const pairs = stored.flatMap((from) => incoming.map((to): [S, S] => [from, to]));

  it.each(pairs)('should leave a %s send as statusApplies says when %s arrives', async (from, to) => {
    const wamid = newWamid();
    const id = await insertSend('+447700900999', from, wamid);

    await inContext(() => log().applyStatuses(wabaId, phoneNumberId, [report(wamid, to, new Date())], WEBHOOK));

    expect((await row(id)).status).toBe(statusApplies(from, to) ? to : from);
  });

  it('should move a message ID reconciled to an older lost send to the send Meta then answered with it', async () => {
    const to = '+447700900998';
    // The older send's POST timed out; the newer one's answer is on its way when its `sent` status arrives.
    const lost = await insertSend(to, S.UNKNOWN, null, 600);
    const answered = await insertSend(to, S.UNKNOWN, null, 1);
    const wamid = newWamid();
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    await inContext(() => log().applyStatuses(wabaId, phoneNumberId, [report(wamid, S.SENT, at, [to])], WEBHOOK));
    expect(await row(lost)).toMatchObject({ message_id: wamid, status: 'SENT' });

    await inContext(() => log().accepted(answered, wamid));

    expect(await row(answered)).toEqual({ message_id: wamid, status: 'SENT', meta_sent_at: at });
    expect(await row(lost)).toEqual({ message_id: null, status: 'UNKNOWN', meta_sent_at: null });
  });
});

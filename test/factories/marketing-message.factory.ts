import { MikroORM } from '@mikro-orm/core';
import type { INestApplication } from '@nestjs/common';

import { MarketingHoldKind, MarketingMessageStatus, RecipientType } from 'src/modules/mm-lite/mm-lite.constants';
import { MarketingMessage } from 'src/modules/mm-lite/sends/marketing-message.entity';
import { MarketingRecipientHold } from 'src/modules/mm-lite/sends/marketing-recipient-hold.entity';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** What a recorded send differs in; everything else has a plain default (an ACCEPTED UK send). */
export interface MarketingMessageOverrides {
  organizationId: string;
  wabaId: string;
  phoneNumberId: string;
  createdAt?: Date;
  status?: MarketingMessageStatus;
  recipient?: string;
  recipientType?: RecipientType;
  templateName?: string;
  failure?: { code: number | null; title?: string | null; details?: string | null; at?: Date };
}

let sequence = 0;

/**
 * Persists recorded sends through the ORM (the mm-lite entity, as the module's own writes would leave them),
 * for tests of the reads and the retention that need sends of a given age and outcome. Returns their IDs.
 */
export async function createMarketingMessages(
  app: INestApplication,
  sends: readonly MarketingMessageOverrides[],
): Promise<string[]> {
  const em = app.get(MikroORM).em.fork();
  const rows = sends.map((send) => {
    sequence += 1;
    const phone = RecipientType.PHONE_NUMBER;
    const row = new MarketingMessage({
      organizationId: send.organizationId,
      wabaId: send.wabaId,
      phoneNumberId: send.phoneNumberId,
      channel: SendingChannel.MM_LITE,
      templateName: send.templateName ?? 'seasonal_sale_promo',
      templateLanguage: 'en_US',
      templateCategory: 'MARKETING',
      recipientType: send.recipientType ?? phone,
      recipient: send.recipient ?? `+4477009${String(10_000 + (sequence % 90_000)).slice(-5)}`,
      recipientCountryCallingCode: (send.recipientType ?? phone) === phone ? '44' : null,
      recipientRegion: null,
      sentBy: 'admin',
    });
    const createdAt = send.createdAt ?? new Date();
    row.createdAt = createdAt;
    row.updatedAt = createdAt;
    row.status = send.status ?? MarketingMessageStatus.ACCEPTED;
    if (row.status !== MarketingMessageStatus.UNKNOWN) {
      row.messageId = `wamid.factory${sequence}.${row.id}`;
    }
    if (send.failure) {
      row.status = MarketingMessageStatus.FAILED;
      row.failureCode = send.failure.code;
      row.failureTitle = send.failure.title ?? null;
      row.failureDetails = send.failure.details ?? null;
      row.failedAt = send.failure.at ?? createdAt;
      row.statusAt = row.failedAt;
    }
    return row;
  });
  await em.persistAndFlush(rows);
  return rows.map((row) => row.id);
}

/** Persists a recipient hold (OPTED_OUT or PAUSED until `until`) through the ORM. */
export async function createRecipientHold(
  app: INestApplication,
  hold: {
    organizationId: string;
    wabaId: string;
    recipient: string;
    kind: MarketingHoldKind;
    until?: Date | null;
    createdAt?: Date;
  },
): Promise<void> {
  const em = app.get(MikroORM).em.fork();
  const at = hold.createdAt ?? new Date();
  const row = new MarketingRecipientHold({ ...hold, observedAt: at });
  row.until = hold.until ?? null;
  row.createdAt = at;
  row.updatedAt = at;
  await em.persistAndFlush(row);
}

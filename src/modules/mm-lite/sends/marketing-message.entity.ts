import { Entity, EntityRepositoryType, Enum, Index, Property } from '@mikro-orm/core';

import { BaseEntity } from 'src/common/database/base.entity';
import { TenantScoped } from 'src/common/database/tenant-filter';
import { MarketingMessageStatus, RecipientType } from 'src/modules/mm-lite/mm-lite.constants';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

import { MarketingMessageRepository } from './marketing-message.repository';

/**
 * One marketing send, recorded before its Graph call (status UNKNOWN, no message ID) and brought up to date
 * by Meta's answer and then its status webhooks. Only the template reference is kept, never a body. Meta's
 * IDs (WABA, number) are kept as Meta spells them rather than as foreign keys: a send stays what it was
 * when its number or WABA changes or goes, and the status webhooks name them that way.
 * `createdAt` is when the send was made (`sentAt`); `statusAt` is Meta's time of the status applied.
 */
@Entity({ tableName: 'marketing_messages', repository: () => MarketingMessageRepository })
@TenantScoped('organizationId')
@Index({
  name: 'marketing_messages_number_list_index',
  expression:
    'create index "marketing_messages_number_list_index" on "marketing_messages" ("organization_id", "phone_number_id", "created_at" desc, "id" desc)',
})
@Index({
  name: 'marketing_messages_number_status_index',
  expression:
    'create index "marketing_messages_number_status_index" on "marketing_messages" ("organization_id", "phone_number_id", "status", "created_at" desc, "id" desc)',
})
@Index({ name: 'marketing_messages_waba_created_index', properties: ['wabaId', 'createdAt'] })
@Index({ name: 'marketing_messages_created_index', properties: ['createdAt'] })
@Index({
  name: 'marketing_messages_unanswered_index',
  expression:
    'create index "marketing_messages_unanswered_index" on "marketing_messages" ("phone_number_id", "recipient", "created_at") where "message_id" is null',
})
export class MarketingMessage extends BaseEntity<
  | 'templateCategory'
  | 'recipientCountryCallingCode'
  | 'recipientRegion'
  | 'messageId'
  | 'status'
  | 'statusAt'
  | 'metaSentAt'
  | 'deliveredAt'
  | 'readAt'
  | 'failedAt'
  | 'failureCode'
  | 'failureTitle'
  | 'failureDetails'
  | 'pricingCategory'
> {
  [EntityRepositoryType]?: MarketingMessageRepository;

  @Property({ type: 'uuid' })
  organizationId: string;

  /** Meta's WABA ID. */
  @Property({ length: 32 })
  wabaId: string;

  /** Meta's phone number ID of the sending number (`metadata.phone_number_id` of its status webhooks). */
  @Property({ length: 32 })
  phoneNumberId: string;

  /** The channel the send went through. */
  @Enum({ items: () => SendingChannel, nativeEnumName: 'sending_channel' })
  channel: SendingChannel;

  @Property({ length: 512 })
  templateName: string;

  @Property({ length: 32 })
  templateLanguage: string;

  /** The category the stored templates gave when it was sent; null when they did not know the template. */
  @Property({ length: 32, nullable: true })
  templateCategory: string | null = null;

  @Enum({ items: () => RecipientType, nativeEnumName: 'marketing_recipient_type' })
  recipientType: RecipientType;

  /** E.164 with `+` for a PHONE_NUMBER, the business-scoped user ID as sent for a BSUID. */
  @Property({ length: 160 })
  recipient: string;

  /** The recipient number's country calling code (digits, no `+`); null for a BSUID, which carries none. */
  @Property({ length: 4, nullable: true })
  recipientCountryCallingCode: string | null = null;

  /** ISO 3166 region when it is known: the prefix of a BSUID. */
  @Property({ length: 2, nullable: true })
  recipientRegion: string | null = null;

  /** Meta's message ID (`wamid…`), once Meta answered or a status webhook named it. */
  @Property({ length: 128, nullable: true, unique: 'marketing_messages_message_id_unique' })
  messageId: string | null = null;

  @Enum({ items: () => MarketingMessageStatus, nativeEnumName: 'marketing_message_status' })
  status: MarketingMessageStatus = MarketingMessageStatus.UNKNOWN;

  /** Meta's time of the status applied (null while UNKNOWN or ACCEPTED). */
  @Property({ type: 'timestamptz', nullable: true })
  statusAt: Date | null = null;

  /** Meta's times of each status it reported, kept even when a higher one was applied first. */
  @Property({ type: 'timestamptz', nullable: true })
  metaSentAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  readAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  failedAt: Date | null = null;

  /** Meta's error code of a failure (its answer to the POST, or a `failed` status). */
  @Property({ type: 'integer', nullable: true })
  failureCode: number | null = null;

  @Property({ length: 512, nullable: true })
  failureTitle: string | null = null;

  /** Meta's `error_data.details` (or its message), never parsed. */
  @Property({ type: 'text', nullable: true })
  failureDetails: string | null = null;

  /** `pricing.category` of the statuses (`marketing`, `marketing_lite` …). */
  @Property({ length: 32, nullable: true })
  pricingCategory: string | null = null;

  /** The actor who sent it, as the audit trail spells it (`api-key:…`, `admin`). */
  @Property({ length: 128 })
  sentBy: string;

  constructor(input: {
    organizationId: string;
    wabaId: string;
    phoneNumberId: string;
    channel: SendingChannel;
    templateName: string;
    templateLanguage: string;
    templateCategory: string | null;
    recipientType: RecipientType;
    recipient: string;
    recipientCountryCallingCode: string | null;
    recipientRegion: string | null;
    sentBy: string;
  }) {
    super();
    this.organizationId = input.organizationId;
    this.wabaId = input.wabaId;
    this.phoneNumberId = input.phoneNumberId;
    this.channel = input.channel;
    this.templateName = input.templateName;
    this.templateLanguage = input.templateLanguage;
    this.templateCategory = input.templateCategory;
    this.recipientType = input.recipientType;
    this.recipient = input.recipient;
    this.recipientCountryCallingCode = input.recipientCountryCallingCode;
    this.recipientRegion = input.recipientRegion;
    this.sentBy = input.sentBy;
  }
}

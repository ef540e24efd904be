import { ApiProperty } from '@nestjs/swagger';

import type { MarketingMessageDetails } from 'src/modules/mm-lite/marketing-send-history.service';
import { MarketingMessageStatus, RecipientType } from 'src/modules/mm-lite/mm-lite.constants';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** The template a send named: only the reference, never a body. */
export class MarketingMessageTemplateDto {
  @ApiProperty({ example: 'seasonal_sale_promo' })
  name: string;

  /** Meta's language code as sent (`en_US`). */
  @ApiProperty({ example: 'en_US' })
  language: string;

  /** The category the stored templates gave when it was sent; null when they did not know the template. */
  @ApiProperty({ nullable: true, type: String, example: 'MARKETING' })
  category: string | null;
}

/** Whom a send went to: exactly one of `phone` and `bsuid`, with the number's country calling code. */
export class MarketingMessageRecipientDetailsDto {
  /** E.164 with `+`; absent for a BSUID send. */
  @ApiProperty({ required: false, example: '+447700900123' })
  phone?: string;

  /** The business-scoped user ID as sent; absent for a phone send. */
  @ApiProperty({ required: false, example: 'US.13491208655302741918' })
  bsuid?: string;

  /** The number's country calling code (digits, no `+`); null for a BSUID, which carries none. */
  @ApiProperty({ nullable: true, type: String, example: '44' })
  countryCallingCode: string | null;
}

/** Why a send failed, in words a user can act on. */
export class MarketingMessageFailureDto {
  /** Meta's error code (131049, 131050, 131026 …); null when the send failed before Meta answered. */
  @ApiProperty({ nullable: true, type: Number, example: 131049 })
  code: number | null;

  /** Meta's error title. */
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'This message was not delivered to maintain healthy ecosystem engagement.',
  })
  title: string | null;

  /** What happened, from the failure table; Meta's details for a code the table does not know. */
  @ApiProperty({
    example: 'Meta limited marketing to this user (per-user limit, or a region where marketing is blocked).',
  })
  reason: string;

  /** What to do about it. */
  @ApiProperty({ example: 'Do not retry for 24 h.' })
  action: string;
}

/** A recorded marketing send and what became of it (`MarketingMessage` of the contract). */
export class MarketingMessageDetailsResponseDto {
  /** Our ID of the send. */
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** Meta's message ID (`wamid…`); null while the send's outcome is unknown. */
  @ApiProperty({ nullable: true, type: String, example: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA' })
  messageId: string | null;

  /** Meta's ID of the sending number. */
  @ApiProperty({ example: '106540352242922' })
  phoneNumberId: string;

  /** Meta's WABA ID. */
  @ApiProperty({ example: '102290129340398' })
  wabaId: string;

  /** The channel it went through. */
  @ApiProperty({ enum: SendingChannel, enumName: 'SendingChannel' })
  channel: SendingChannel;

  @ApiProperty({ type: MarketingMessageTemplateDto })
  template: MarketingMessageTemplateDto;

  @ApiProperty({ type: MarketingMessageRecipientDetailsDto })
  recipient: MarketingMessageRecipientDetailsDto;

  /** Which of `phone` (PHONE_NUMBER) and `bsuid` (BSUID) the send used. */
  @ApiProperty({ enum: RecipientType, enumName: 'RecipientType' })
  recipientType: RecipientType;

  /**
   * UNKNOWN: the answer to the send was lost (a status webhook settles it); ACCEPTED: Meta took it; SENT,
   * DELIVERED, READ, FAILED: Meta's status webhooks, in order (a late `sent` never overwrites `read`).
   */
  @ApiProperty({ enum: MarketingMessageStatus, enumName: 'MarketingMessageStatus' })
  status: MarketingMessageStatus;

  /** Why it failed and what to do; null unless FAILED. */
  @ApiProperty({ type: MarketingMessageFailureDto, nullable: true })
  failure: MarketingMessageFailureDto | null;

  /** When the send was made. */
  @ApiProperty({ type: Date })
  sentAt: Date;

  /** When the record last changed here. */
  @ApiProperty({ type: Date })
  updatedAt: Date;

  /** Meta's time of the status shown; null while UNKNOWN or ACCEPTED. */
  @ApiProperty({ type: Date, nullable: true })
  statusAt: Date | null;

  /** Meta's time of `delivered`, kept even when `read` came first. */
  @ApiProperty({ type: Date, nullable: true })
  deliveredAt: Date | null;

  /** Meta's time of `read`. */
  @ApiProperty({ type: Date, nullable: true })
  readAt: Date | null;

  /** Meta's time of `failed` (or of the refusal). */
  @ApiProperty({ type: Date, nullable: true })
  failedAt: Date | null;

  /** `pricing.category` of the statuses (`marketing`, `marketing_lite` …). */
  @ApiProperty({ nullable: true, type: String, example: 'marketing_lite' })
  pricingCategory: string | null;

  /** Who sent it, as the audit trail names actors (`api-key:…`, `admin`). */
  @ApiProperty({ example: 'api-key:cca05ff1-…' })
  sentBy: string;

  static fromDetails(send: MarketingMessageDetails): MarketingMessageDetailsResponseDto {
    return {
      id: send.id,
      messageId: send.messageId,
      phoneNumberId: send.phoneNumberId,
      wabaId: send.wabaId,
      channel: send.channel,
      template: { ...send.template },
      recipient: { ...send.recipient },
      recipientType: send.recipientType,
      status: send.status,
      failure: send.failure && { ...send.failure },
      sentAt: send.sentAt,
      updatedAt: send.updatedAt,
      statusAt: send.statusAt,
      deliveredAt: send.deliveredAt,
      readAt: send.readAt,
      failedAt: send.failedAt,
      pricingCategory: send.pricingCategory,
      sentBy: send.sentBy,
    };
  }
}

/** `{ data, nextCursor }` of a number's sends, newest first. */
export class MarketingMessageListResponseDto {
  @ApiProperty({ type: [MarketingMessageDetailsResponseDto] })
  data: MarketingMessageDetailsResponseDto[];

  /** Cursor of the next page; null on the last one. */
  @ApiProperty({ nullable: true, type: String })
  nextCursor: string | null;
}

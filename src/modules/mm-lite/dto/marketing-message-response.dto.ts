import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { RecipientType } from 'src/modules/mm-lite/mm-lite.constants';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** Who the message was sent to: exactly one of `phone` and `bsuid`, as `MarketingMessage.recipient`. */
export class MarketingMessageRecipientDto {
  /** The phone number Meta was sent (`to`), in E.164 with `+`; absent for a BSUID send. */
  @ApiPropertyOptional({ example: '+447700900123' })
  phone?: string;

  /** The business-scoped user ID Meta was sent (`recipient`), as given; absent for a phone send. */
  @ApiPropertyOptional({ example: 'US.13491208655302741918' })
  bsuid?: string;
}

/** A send Meta accepted; delivery is reported later by status webhooks. */
export class MarketingMessageResponseDto {
  /** Our ID of the recorded send, to follow it (its status, Meta's failure) as status webhooks arrive. */
  @ApiProperty({ format: 'uuid', example: '5d0c1a8e-3c1b-4b55-9a43-1f1f5f0a7c11' })
  id: string;

  /** Meta's message ID (`wamid…`). */
  @ApiProperty({ example: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA' })
  messageId: string;

  /** The channel the message went through: MM_LITE (`/marketing_messages`) or CLOUD_API (`/messages`). */
  @ApiProperty({ enum: SendingChannel, enumName: 'SendingChannel' })
  channel: SendingChannel;

  /** Which of `to` (PHONE_NUMBER) and `recipient` (BSUID) the send used. */
  @ApiProperty({ enum: RecipientType, enumName: 'RecipientType' })
  recipientType: RecipientType;

  /** The recipient as Meta was sent it: `{ phone }` or `{ bsuid }`. */
  @ApiProperty({ type: MarketingMessageRecipientDto })
  recipient: MarketingMessageRecipientDto;
}

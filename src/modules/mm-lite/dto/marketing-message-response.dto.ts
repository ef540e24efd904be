import { ApiProperty } from '@nestjs/swagger';

import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** A send Meta accepted; delivery is reported later by status webhooks. */
export class MarketingMessageResponseDto {
  /** Meta's message ID (`wamid…`). */
  @ApiProperty({ example: 'wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA' })
  messageId: string;

  /** The channel the message went through: MM_LITE (`/marketing_messages`) or CLOUD_API (`/messages`). */
  @ApiProperty({ enum: SendingChannel, enumName: 'SendingChannel' })
  channel: SendingChannel;
}

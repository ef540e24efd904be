import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';

import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** Body of PATCH /api/v1/phone-numbers/{phoneNumberId}. */
export class UpdatePhoneNumberDto {
  /** Where marketing templates of this number go. MM_LITE needs an ACTIVE, ONBOARDED WABA. */
  @ApiProperty({ enum: SendingChannel, enumName: 'SendingChannel' })
  @IsIn(Object.values(SendingChannel), { message: 'sendingChannel must be one of CLOUD_API, MM_LITE' })
  sendingChannel: SendingChannel;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';

import { META_ID_MESSAGE, META_ID_PATTERN } from 'src/common/http/meta-id-param.dto';

/** What the front end posts once Meta's Embedded Signup popup finished. */
export class ConnectPhoneNumberDto {
  /** The short-lived (30 s, single-use) code from the popup. */
  @ApiProperty({ example: 'AQBx…' })
  @IsString()
  @Length(1, 2048)
  @Matches(/^[\x21-\x7e]+$/, { message: 'code must be the printable code handed over by Embedded Signup' })
  code: string;

  /** `waba_id` from the popup's session info. */
  @ApiProperty({ example: '102290129340398' })
  @Matches(META_ID_PATTERN, { message: `wabaId ${META_ID_MESSAGE}` })
  wabaId: string;

  /** `phone_number_id` from the popup's session info. */
  @ApiProperty({ example: '106540352242922' })
  @Matches(META_ID_PATTERN, { message: `phoneNumberId ${META_ID_MESSAGE}` })
  phoneNumberId: string;

  /** `business_id` from the popup's session info (optional). */
  @ApiPropertyOptional({ example: '2329417887457253' })
  @IsOptional()
  @Matches(META_ID_PATTERN, { message: `businessId ${META_ID_MESSAGE}` })
  businessId?: string;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';

import { META_ID_MESSAGE, META_ID_PATTERN } from 'src/common/http/meta-id-param.dto';
import { PaginationQueryDto } from 'src/common/http/pagination-query.dto';
import { SendingChannel } from 'src/modules/phone-numbers/phone-numbers.constants';

/** Filters of GET /api/v1/phone-numbers. */
export class ListPhoneNumbersQueryDto extends PaginationQueryDto {
  /** Only numbers of this WABA. */
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(META_ID_PATTERN, { message: `wabaId ${META_ID_MESSAGE}` })
  wabaId?: string;

  /** Only numbers on this channel. */
  @ApiPropertyOptional({ enum: SendingChannel, enumName: 'SendingChannel' })
  @IsOptional()
  @IsIn(Object.values(SendingChannel))
  sendingChannel?: SendingChannel;
}

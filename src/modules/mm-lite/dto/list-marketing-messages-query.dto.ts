import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';

import { PaginationQueryDto } from 'src/common/http/pagination-query.dto';
import { MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';

/** Filters of GET /api/v1/phone-numbers/{phoneNumberId}/marketing-messages. */
export class ListMarketingMessagesQueryDto extends PaginationQueryDto {
  /** Only sends in this status. */
  @ApiPropertyOptional({ enum: MarketingMessageStatus, enumName: 'MarketingMessageStatus' })
  @IsOptional()
  @IsIn(Object.values(MarketingMessageStatus), {
    message: `status must be one of ${Object.values(MarketingMessageStatus).join(', ')}`,
  })
  status?: MarketingMessageStatus;

  /** Only sends made at or after this time (ISO 8601, e.g. `2026-12-04T00:00:00Z`). */
  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-04T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'since must be an ISO 8601 timestamp' })
  since?: string;
}

import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

import { PaginationQueryDto } from 'src/common/http/pagination-query.dto';
import { MmLiteStatus, WabaStatus } from 'src/modules/wabas/wabas.constants';

const MM_LITE_FILTERS = [MmLiteStatus.ONBOARDED, MmLiteStatus.NOT_ONBOARDED, 'NOT_STARTED'] as const;

/** Filters of GET /api/v1/wabas. */
export class ListWabasQueryDto extends PaginationQueryDto {
  /** Account status. */
  @ApiPropertyOptional({ enum: WabaStatus, enumName: 'WabaStatus' })
  @IsOptional()
  @IsIn(Object.values(WabaStatus))
  status?: WabaStatus;

  /** MM Lite column; `NOT_STARTED` selects the dash. */
  @ApiPropertyOptional({ enum: MM_LITE_FILTERS })
  @IsOptional()
  @IsIn(MM_LITE_FILTERS)
  mmLiteStatus?: MmLiteStatus | 'NOT_STARTED';

  /** Matches the account name (case-insensitive) or the WABA ID. */
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'q must not contain control characters' })
  q?: string;
}

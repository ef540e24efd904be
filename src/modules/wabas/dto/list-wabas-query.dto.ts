import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

import { PaginationQueryDto } from 'src/common/http/pagination-query.dto';
import { PLAIN_TEXT } from 'src/common/http/validation';
import { MmLiteStatus, WabaStatus } from 'src/modules/wabas/wabas.constants';

const MM_LITE_FILTERS = [MmLiteStatus.ONBOARDED, MmLiteStatus.NOT_ONBOARDED, 'NOT_STARTED'] as const;
const STATUSES = new Set<string>(Object.values(WabaStatus));
const MM_LITE_FILTER_SET = new Set<string>(MM_LITE_FILTERS);
const Q_MAX_LENGTH = 100;

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
  @MaxLength(Q_MAX_LENGTH)
  @Matches(/^[^\p{Cc}]*$/u, { message: 'q must not contain control characters' })
  q?: string;

  /**
   * The list's plainly valid queries (every page of the accounts screen) without class-validator; anything
   * else is left to the decorators above, which name what is wrong (`AcceptsPlainInput`).
   */
  static acceptPlain(value: unknown): ListWabasQueryDto | undefined {
    if (typeof value !== 'object' || value === null) {
      return undefined;
    }
    const dto = new ListWabasQueryDto();
    for (const [key, field] of Object.entries(value)) {
      if (typeof field !== 'string') {
        return undefined;
      }
      if (key === 'status' && STATUSES.has(field)) {
        dto.status = field as WabaStatus;
      } else if (key === 'mmLiteStatus' && MM_LITE_FILTER_SET.has(field)) {
        dto.mmLiteStatus = field as MmLiteStatus | 'NOT_STARTED';
      } else if (key === 'q' && field.length <= Q_MAX_LENGTH && PLAIN_TEXT.test(field)) {
        dto.q = field;
      } else if (!PaginationQueryDto.acceptPlainPage(dto, key, field)) {
        return undefined;
      }
    }
    return dto;
  }
}

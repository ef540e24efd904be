import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { DEFAULT_PAGE_SIZE, MAX_CURSOR_LENGTH, MAX_PAGE_SIZE } from 'src/common/http/pagination';
import { IsQueryInteger } from 'src/common/http/query-integer';

const DECIMAL_DIGITS = /^[0-9]{1,3}$/;
const CURSOR_CHARACTERS = /^[A-Za-z0-9_-]+$/;

/** `?limit=&cursor=` of every list endpoint. */
export class PaginationQueryDto {
  /** Page size, 1–100. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @IsOptional()
  @IsQueryInteger()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  limit?: number;

  /** Opaque cursor from the previous page's `nextCursor`. */
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(MAX_CURSOR_LENGTH)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a cursor returned by this API' })
  cursor?: string;

  /**
   * For a list DTO's `acceptPlain` (see `AcceptsPlainInput`): sets `limit` or `cursor` on `dto` when `value`
   * is one the decorators above accept as it is, and says whether it did.
   */
  protected static acceptPlainPage(dto: PaginationQueryDto, key: string, value: string): boolean {
    if (key === 'limit' && DECIMAL_DIGITS.test(value)) {
      const limit = Number(value);
      if (limit >= 1 && limit <= MAX_PAGE_SIZE) {
        dto.limit = limit;
        return true;
      }
    } else if (key === 'cursor' && value.length <= MAX_CURSOR_LENGTH && CURSOR_CHARACTERS.test(value)) {
      dto.cursor = value;
      return true;
    }
    return false;
  }
}

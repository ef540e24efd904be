import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import { IsQueryInteger } from 'src/common/http/query-integer';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

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
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be a cursor returned by this API' })
  cursor?: string;
}

/** A page of a list: `{ data, nextCursor }`. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** Encodes keyset values as an opaque URL-safe cursor. */
export function encodeCursor(values: Array<string | number>): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeCursor}; a tampered one is a 400 naming `cursor`. */
export function decodeCursor(cursor: string, expectedLength: number): Array<string | number> {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === expectedLength &&
      values.every((value) => typeof value === 'string' || typeof value === 'number')
    ) {
      return values;
    }
  } catch {
    // fall through to the validation error
  }
  throw new DomainException(ErrorCode.VALIDATION_FAILED, 'Invalid request: cursor', {
    errors: [{ field: 'cursor', message: 'cursor must be a cursor returned by this API' }],
  });
}

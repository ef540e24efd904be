import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ErrorCode } from 'src/common/exceptions/error-code';

/** One invalid field. */
export class FieldErrorDto {
  @ApiProperty({ example: 'name' })
  field: string;

  @ApiProperty({ example: 'name must be longer than or equal to 1 characters' })
  message: string;
}

/** RFC 9457 problem document (`application/problem+json`). */
export class ProblemDto {
  @ApiProperty({ example: 'https://docs.whatsapp-assets.local/problems/validation-failed' })
  type: string;

  @ApiProperty({ example: 'Validation failed' })
  title: string;

  @ApiProperty({ example: 400 })
  status: number;

  @ApiProperty({ example: 'Invalid request: name' })
  detail: string;

  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' })
  code: ErrorCode;

  @ApiPropertyOptional({ type: [FieldErrorDto] })
  errors?: FieldErrorDto[];

  /** Path of the request that failed. */
  @ApiPropertyOptional({ example: '/api/v1/organizations' })
  instance?: string;

  @ApiPropertyOptional({ description: 'ID of the request, also in the X-Request-Id header' })
  requestId?: string;
}

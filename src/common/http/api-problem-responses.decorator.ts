import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';

import { ERROR_CODE_STATUS, ErrorCode } from 'src/common/exceptions/error-code';

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

  @ApiPropertyOptional({ description: 'ID of the request, also in the X-Request-Id header' })
  requestId?: string;
}

/**
 * Documents the problem responses a route can answer, grouped by status, with the codes of each.
 * `VALIDATION_FAILED`, `UNAUTHENTICATED` and `RATE_LIMITED` are added to every route that takes a key.
 */
export function ApiProblemResponses(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = ERROR_CODE_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(
    ...[...byStatus.entries()].map(([status, statusCodes]) =>
      ApiResponse({
        status,
        description: `Problem document; code ${statusCodes.join(' or ')}`,
        type: ProblemDto,
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
      }),
    ),
  );
}

/** The problems a route that calls Meta can answer: every outcome of `domainExceptionFromMeta`. */
export const META_CALL_PROBLEMS = [
  ErrorCode.REAUTH_REQUIRED,
  ErrorCode.META_REQUEST_REJECTED,
  ErrorCode.META_UNAVAILABLE,
  ErrorCode.META_RATE_LIMITED,
] as const;

/** The problems every API-key route can answer. */
export const COMMON_KEY_ROUTE_PROBLEMS = [ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED] as const;

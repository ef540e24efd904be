import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';

import { ERROR_CODE_STATUS, ErrorCode } from 'src/common/exceptions/error-code';
import { ProblemDto } from 'src/common/http/problem.dto';

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

/**
 * The problems a route that calls Meta can answer: every outcome of `domainExceptionFromMeta` except
 * `SEND_OUTCOME_UNKNOWN`, which only sends answer (their routes list it).
 */
export const META_CALL_PROBLEMS = [
  ErrorCode.REAUTH_REQUIRED,
  ErrorCode.META_REQUEST_REJECTED,
  ErrorCode.META_UNAVAILABLE,
  ErrorCode.META_RATE_LIMITED,
] as const;

/** The problems every API-key route can answer. */
export const COMMON_KEY_ROUTE_PROBLEMS = [ErrorCode.UNAUTHENTICATED, ErrorCode.RATE_LIMITED] as const;

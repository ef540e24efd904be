import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';
import type { ProblemTranslator } from 'src/common/exceptions/problem-translator';

import { MetaGatewayErrorCode, MetaGatewayException } from './meta-gateway.exception';

/**
 * The default translation of a Meta failure the calling service did not handle itself into a public
 * problem. Detail texts never carry tokens; Meta's own `error_data.details` is safe to pass on.
 */
export function domainExceptionFromMeta(error: MetaGatewayException): DomainException {
  const suffix = error.details.fbtraceId ? ` (fbtrace_id ${error.details.fbtraceId})` : '';
  switch (error.code) {
    case MetaGatewayErrorCode.RATE_LIMITED:
      return new DomainException(ErrorCode.META_RATE_LIMITED, `Meta throttled the call; try again later${suffix}`, {
        retryAfterSeconds: Math.max(1, Math.ceil(error.details.retryAfterSeconds ?? 60)),
        meta: { metaCode: error.metaCode },
      });
    case MetaGatewayErrorCode.AUTH_INVALID:
      return new DomainException(
        ErrorCode.REAUTH_REQUIRED,
        `Meta rejected the stored access token; run Embedded Signup again${suffix}`,
        { meta: { metaCode: error.metaCode } },
      );
    case MetaGatewayErrorCode.TRANSIENT:
    case MetaGatewayErrorCode.UNKNOWN:
      return new DomainException(ErrorCode.META_UNAVAILABLE, `Meta did not answer usably; try again later${suffix}`, {
        meta: { metaCode: error.metaCode },
      });
    case MetaGatewayErrorCode.OUTCOME_UNKNOWN:
      // Only sends produce it; their service words the detail itself (MarketingMessagesService).
      return new DomainException(
        ErrorCode.SEND_OUTCOME_UNKNOWN,
        `The request left for Meta but no usable answer came back, so it may have taken effect; do not repeat it${suffix}`,
      );
    case MetaGatewayErrorCode.PERMISSION_DENIED:
    case MetaGatewayErrorCode.ACCOUNT_RESTRICTED:
    case MetaGatewayErrorCode.NOT_FOUND:
    case MetaGatewayErrorCode.INVALID_REQUEST:
      return new DomainException(
        ErrorCode.META_REQUEST_REJECTED,
        `Meta rejected the request: ${error.details.metaDetails ?? error.message}${suffix}`,
        { meta: { metaCode: error.metaCode } },
      );
  }
}

/**
 * The {@link ProblemTranslator} of Meta failures that reached the HTTP layer unhandled: the composition root
 * registers it with the ProblemFilter, which does not know MetaGatewayException.
 */
export const translateMetaFailure: ProblemTranslator = (exception) =>
  exception instanceof MetaGatewayException ? domainExceptionFromMeta(exception) : null;

/** A failed Graph call of an onboarding step, as stored on the record and logged (never a token). */
export interface StepFailure {
  classification: string;
  code: number | null;
  message: string;
  /** Worth trying again later: Meta was down, slow or throttling. */
  retryable: boolean;
}

/** Classifies the failure of a Graph call; anything that is not a Meta answer counts as retryable. */
export function describeFailure(error: unknown): StepFailure {
  if (error instanceof MetaGatewayException) {
    return {
      classification: error.code,
      code: error.metaCode,
      message: error.details.metaDetails ?? error.message,
      retryable: error.code === MetaGatewayErrorCode.TRANSIENT || error.code === MetaGatewayErrorCode.RATE_LIMITED,
    };
  }
  return { classification: 'UNEXPECTED', code: null, message: 'unexpected error', retryable: true };
}

/** The public problem of a Meta failure; anything else is rethrown as it is. */
export function toPublicError(error: unknown): unknown {
  return error instanceof MetaGatewayException ? domainExceptionFromMeta(error) : error;
}

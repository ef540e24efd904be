import { domainExceptionFromMeta } from 'src/modules/meta-gateway/meta-failure.problem';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';

import { REGISTRATION_RETRY_BASE_MS } from './phone-numbers.constants';

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

/** Next automatic attempt of a step after `attempt` failures: exponential back-off with jitter. */
export function retryAt(attempt: number): Date {
  const delay = REGISTRATION_RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1);
  return new Date(Date.now() + delay + Math.floor(Math.random() * 1000));
}

/** The public problem of a Meta failure; anything else is rethrown as it is. */
export function toPublicError(error: unknown): unknown {
  return error instanceof MetaGatewayException ? domainExceptionFromMeta(error) : error;
}

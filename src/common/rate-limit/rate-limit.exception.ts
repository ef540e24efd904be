import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** 429 with `Retry-After`: a rate limit of the public API (requests per organization, failed authentications). */
export class RateLimitedException extends DomainException {
  constructor(detail: string, retryAfterMs: number) {
    super(ErrorCode.RATE_LIMITED, detail, { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
  }
}

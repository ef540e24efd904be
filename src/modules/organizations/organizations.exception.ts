import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** Authentication failures; the detail says which case without echoing the credential. */
export class UnauthenticatedException extends DomainException {
  constructor(detail: string) {
    super(ErrorCode.UNAUTHENTICATED, detail);
  }
}

/** The organization holds the most active API keys it may (API_KEY_MAX_ACTIVE_PER_ORGANIZATION); revoke one first. */
export class ApiKeyLimitReachedException extends DomainException {
  constructor(limit: number) {
    super(
      ErrorCode.API_KEY_LIMIT_REACHED,
      `The organization already has ${limit} active API keys, the most it may have; revoke one before creating another`,
    );
  }
}

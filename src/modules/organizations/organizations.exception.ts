import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** Authentication failures; the detail says which case without echoing the credential. */
export class UnauthenticatedException extends DomainException {
  constructor(detail: string) {
    super(ErrorCode.UNAUTHENTICATED, detail);
  }
}

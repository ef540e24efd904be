import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** The stored token was rejected by Meta; a new Embedded Signup is needed before calling Meta again. */
export class ReauthRequiredException extends DomainException {
  constructor(wabaId: string) {
    super(
      ErrorCode.REAUTH_REQUIRED,
      `Meta rejected the stored access token of WABA ${wabaId}; connect a number of this WABA again through Embedded Signup`,
    );
  }
}

/** The WABA is disabled, so the operation is refused. */
export class WabaDisabledException extends DomainException {
  constructor(wabaId: string, reason: string | null) {
    super(ErrorCode.WABA_DISABLED, `WABA ${wabaId} is disabled${reason ? ` (${reason})` : ''}`);
  }
}

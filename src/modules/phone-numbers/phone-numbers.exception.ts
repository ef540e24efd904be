import { DomainException } from 'src/common/exceptions/domain.exception';
import { ErrorCode } from 'src/common/exceptions/error-code';

/** The WABA or number is connected to another organization; nothing was changed. */
export class AlreadyConnectedException extends DomainException {
  constructor(kind: 'WABA' | 'Phone number', id: string) {
    super(ErrorCode.ALREADY_CONNECTED_TO_ANOTHER_ORGANIZATION, `${kind} ${id} is connected to another organization`);
  }
}

/** Meta refused the Embedded Signup code. */
export class SignupCodeRejectedException extends DomainException {
  constructor(reason: string) {
    super(
      ErrorCode.SIGNUP_CODE_REJECTED,
      `Meta refused the Embedded Signup code (${reason}); codes are single-use and live 30 seconds, so run Embedded Signup again`,
      { errors: [{ field: 'code', message: reason }] },
    );
  }
}

/** The business token was not granted the posted WABA. */
export class WabaNotGrantedException extends DomainException {
  constructor(wabaId: string) {
    super(ErrorCode.WABA_NOT_GRANTED, `The Embedded Signup token was not granted access to WABA ${wabaId}`, {
      errors: [{ field: 'wabaId', message: 'was not granted to the app in this Embedded Signup' }],
    });
  }
}

/** The number is not in the posted WABA. */
export class PhoneNumberNotInWabaException extends DomainException {
  constructor(phoneNumberId: string, wabaId: string) {
    super(ErrorCode.PHONE_NUMBER_NOT_IN_WABA, `Phone number ${phoneNumberId} does not belong to WABA ${wabaId}`, {
      errors: [{ field: 'phoneNumberId', message: `is not a phone number of WABA ${wabaId}` }],
    });
  }
}

/** Switching to MM Lite while the WABA is not onboarded. */
export class MmLiteNotOnboardedException extends DomainException {
  constructor(wabaId: string, mmLiteStatus: string | null) {
    super(
      ErrorCode.MM_LITE_NOT_ONBOARDED,
      `WABA ${wabaId} is not onboarded to MM Lite${mmLiteStatus === null ? ': its onboarding has not started' : ' yet'}; finish "Set up MM Lite" first`,
    );
  }
}

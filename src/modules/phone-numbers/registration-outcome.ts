import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { retryAt } from 'src/common/retry/backoff';
import { describeFailure } from 'src/modules/meta-gateway/meta-failure.problem';
import { applyPhoneSnapshot } from './phone-number-snapshot';
import type { PhoneNumber } from './phone-number.entity';
import {
  REGISTRATION_MAX_AUTO_ATTEMPTS,
  REGISTRATION_RETRY_BASE_MS,
  RegistrationStatus,
} from './phone-numbers.constants';

/** What one `POST /{phone}/register` came to: Meta's failure, or success with the number read back (or not). */
export type RegistrationAttempt = { failure: unknown } | { failure: null; snapshot: PhoneNumberSnapshot | null };

/**
 * Writes a registration attempt's outcome on the number (locked by the caller): success registers it and
 * copies the read-back; a failure is stored with its Meta code and, when Meta may answer later, schedules
 * the next automatic attempt with back-off, up to {@link REGISTRATION_MAX_AUTO_ATTEMPTS}. A manual attempt
 * starts the count again. Returns false, changing nothing, for a failure that arrives after another
 * attempt registered the number: a stale failure must not undo that.
 */
export function applyRegistrationOutcome(
  phone: PhoneNumber,
  attempt: RegistrationAttempt,
  { manual = false }: { manual?: boolean } = {},
): boolean {
  if (attempt.failure !== null && phone.registrationStatus === RegistrationStatus.REGISTERED) {
    return false;
  }
  phone.registrationAttempts = manual ? 1 : phone.registrationAttempts + 1;
  if (attempt.failure === null) {
    phone.registrationStatus = RegistrationStatus.REGISTERED;
    phone.registrationErrorCode = null;
    phone.registrationErrorMessage = null;
    phone.nextRegistrationAttemptAt = null;
    if ('snapshot' in attempt && attempt.snapshot) {
      applyPhoneSnapshot(phone, attempt.snapshot);
    }
    return true;
  }
  const described = describeFailure(attempt.failure);
  phone.registrationStatus = RegistrationStatus.FAILED;
  phone.registrationErrorCode = described.code;
  phone.registrationErrorMessage = described.message;
  phone.nextRegistrationAttemptAt =
    described.retryable && phone.registrationAttempts < REGISTRATION_MAX_AUTO_ATTEMPTS
      ? retryAt(phone.registrationAttempts, REGISTRATION_RETRY_BASE_MS)
      : null;
  return true;
}

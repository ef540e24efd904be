import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';

import { PhoneNumber } from './phone-number.entity';
import {
  REGISTRATION_MAX_AUTO_ATTEMPTS,
  REGISTRATION_RETRY_BASE_MS,
  RegistrationStatus,
} from './phone-numbers.constants';
import { applyRegistrationOutcome } from './registration-outcome';

const NOW = new Date('2026-03-01T10:00:00Z');

function phone(overrides: Partial<PhoneNumber> = {}): PhoneNumber {
  return Object.assign(new PhoneNumber(null as never, null as never, '106540352242922', 'sealed'), overrides);
}

function metaFailure(code: MetaGatewayErrorCode, metaCode: number | null = null): MetaGatewayException {
  return new MetaGatewayException(code, 'failed', { metaCode: metaCode ?? undefined, metaDetails: 'Meta says no' });
}

describe(applyRegistrationOutcome.name, () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('should register the number, clear its error and its retry, and copy the read-back', () => {
    const sut = phone({
      registrationStatus: RegistrationStatus.FAILED,
      registrationErrorCode: 131000,
      registrationErrorMessage: 'down',
      registrationAttempts: 2,
      nextRegistrationAttemptAt: NOW,
    });

    expect(
      applyRegistrationOutcome(sut, { failure: null, snapshot: { id: sut.phoneNumberId, status: 'CONNECTED' } }),
    ).toBe(true);

    expect(sut).toMatchObject({
      registrationStatus: RegistrationStatus.REGISTERED,
      registrationErrorCode: null,
      registrationErrorMessage: null,
      registrationAttempts: 3,
      nextRegistrationAttemptAt: null,
      status: 'CONNECTED',
    });
  });

  it.each([
    [1, REGISTRATION_RETRY_BASE_MS],
    [2, REGISTRATION_RETRY_BASE_MS * 2],
    [4, REGISTRATION_RETRY_BASE_MS * 8],
  ])('should schedule attempt %i of a failure Meta may answer later after a doubling back-off', (attempt, delayMs) => {
    const sut = phone({ registrationAttempts: attempt - 1 });

    applyRegistrationOutcome(sut, { failure: metaFailure(MetaGatewayErrorCode.TRANSIENT) });

    expect(sut.registrationStatus).toBe(RegistrationStatus.FAILED);
    expect(sut.registrationAttempts).toBe(attempt);
    const due = sut.nextRegistrationAttemptAt!.getTime() - NOW.getTime();
    // Up to a second of jitter, so that instances do not retry in step.
    expect(due).toBeGreaterThanOrEqual(delayMs);
    expect(due).toBeLessThan(delayMs + 1000);
  });

  it('should stop scheduling once the automatic attempts are spent', () => {
    const sut = phone({ registrationAttempts: REGISTRATION_MAX_AUTO_ATTEMPTS - 1 });

    applyRegistrationOutcome(sut, { failure: metaFailure(MetaGatewayErrorCode.RATE_LIMITED) });

    expect(sut).toMatchObject({
      registrationStatus: RegistrationStatus.FAILED,
      registrationAttempts: REGISTRATION_MAX_AUTO_ATTEMPTS,
      nextRegistrationAttemptAt: null,
    });
  });

  it('should store a refusal with its Meta code and not schedule it', () => {
    const sut = phone();

    applyRegistrationOutcome(sut, { failure: metaFailure(MetaGatewayErrorCode.INVALID_REQUEST, 133005) });

    expect(sut).toMatchObject({
      registrationStatus: RegistrationStatus.FAILED,
      registrationErrorCode: 133005,
      registrationErrorMessage: 'Meta says no',
      nextRegistrationAttemptAt: null,
    });
  });

  it('should count a manual attempt as the first again, so that its failure is retried in the background', () => {
    const sut = phone({
      registrationAttempts: REGISTRATION_MAX_AUTO_ATTEMPTS,
      registrationStatus: RegistrationStatus.FAILED,
    });

    applyRegistrationOutcome(sut, { failure: new Error('socket hang up') }, { manual: true });

    expect(sut.registrationAttempts).toBe(1);
    expect(sut.nextRegistrationAttemptAt).not.toBeNull();
  });

  it('should leave a number another attempt registered meanwhile alone when this one failed', () => {
    const sut = phone({ registrationStatus: RegistrationStatus.REGISTERED, registrationAttempts: 1 });

    expect(applyRegistrationOutcome(sut, { failure: metaFailure(MetaGatewayErrorCode.TRANSIENT) })).toBe(false);

    expect(sut).toMatchObject({ registrationStatus: RegistrationStatus.REGISTERED, registrationAttempts: 1 });
  });
});

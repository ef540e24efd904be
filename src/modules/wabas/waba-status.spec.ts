import { deriveMmLiteStatus, deriveWabaStatus, type WabaStatusSignals } from './waba-status';
import { MmLiteStatus, WabaBanState, WabaStatus, WabaStatusReason } from './wabas.constants';

const NOW = new Date('2026-01-15T12:00:00Z');

function signals(overrides: Partial<WabaStatusSignals> = {}): WabaStatusSignals {
  return {
    banState: null,
    disconnectedReason: null,
    metaStatus: 'ACTIVE',
    healthWabaCanSend: 'AVAILABLE',
    restrictionExpiresAt: null,
    ...overrides,
  };
}

describe(deriveWabaStatus.name, () => {
  // One case per row of product-spec §2.3, strongest signal first.
  it.each<[string, Partial<WabaStatusSignals>, WabaStatus, string | null]>([
    ['DISABLED_UPDATE DISABLE', { banState: WabaBanState.DISABLE }, WabaStatus.DISABLED, WabaStatusReason.BANNED],
    ['DISABLED_UPDATE REINSTATE', { banState: WabaBanState.REINSTATE }, WabaStatus.ACTIVE, null],
    [
      'DISABLED_UPDATE SCHEDULE_FOR_DISABLE',
      { banState: WabaBanState.SCHEDULE_FOR_DISABLE },
      WabaStatus.ACTIVE,
      WabaStatusReason.SCHEDULED_FOR_DISABLE,
    ],
    ['ACCOUNT_DELETED', { disconnectedReason: 'ACCOUNT_DELETED' }, WabaStatus.DISABLED, WabaStatusReason.DISCONNECTED],
    ['PARTNER_REMOVED', { disconnectedReason: 'PARTNER_REMOVED' }, WabaStatus.DISABLED, WabaStatusReason.DISCONNECTED],
    [
      'ACCOUNT_OFFBOARDED',
      { disconnectedReason: 'ACCOUNT_OFFBOARDED' },
      WabaStatus.DISABLED,
      WabaStatusReason.DISCONNECTED,
    ],
    ['Meta status field not ACTIVE', { metaStatus: 'SUSPENDED' }, WabaStatus.DISABLED, 'META_STATUS_SUSPENDED'],
    ['health_status WABA BLOCKED', { healthWabaCanSend: 'BLOCKED' }, WabaStatus.DISABLED, WabaStatusReason.BLOCKED],
    ['nothing against it', {}, WabaStatus.ACTIVE, null],
    ['no Meta status read yet', { metaStatus: null, healthWabaCanSend: null }, WabaStatus.ACTIVE, null],
    ['health LIMITED only', { healthWabaCanSend: 'LIMITED' }, WabaStatus.ACTIVE, null],
    [
      'an ACCOUNT_RESTRICTION not yet expired',
      { restrictionExpiresAt: new Date(NOW.getTime() + 60_000) },
      WabaStatus.ACTIVE,
      WabaStatusReason.RESTRICTED,
    ],
    [
      'an expired ACCOUNT_RESTRICTION',
      { restrictionExpiresAt: new Date(NOW.getTime() - 60_000) },
      WabaStatus.ACTIVE,
      null,
    ],
  ])('should derive %s as %s / %s', (_row, overrides, status, statusReason) => {
    expect(deriveWabaStatus(signals(overrides), NOW)).toEqual({ status, statusReason });
  });

  it('should let a ban win over every weaker signal', () => {
    expect(
      deriveWabaStatus(
        signals({
          banState: WabaBanState.DISABLE,
          disconnectedReason: 'PARTNER_REMOVED',
          metaStatus: 'SUSPENDED',
          healthWabaCanSend: 'BLOCKED',
        }),
        NOW,
      ),
    ).toEqual({ status: WabaStatus.DISABLED, statusReason: WabaStatusReason.BANNED });
  });

  it('should keep a disconnected WABA DISABLED after a REINSTATE of its ban', () => {
    expect(
      deriveWabaStatus(signals({ banState: WabaBanState.REINSTATE, disconnectedReason: 'ACCOUNT_DELETED' }), NOW),
    ).toEqual({ status: WabaStatus.DISABLED, statusReason: WabaStatusReason.DISCONNECTED });
  });

  it('should report the scheduled disable rather than a restriction when both hold', () => {
    expect(
      deriveWabaStatus(
        signals({
          banState: WabaBanState.SCHEDULE_FOR_DISABLE,
          restrictionExpiresAt: new Date(NOW.getTime() + 60_000),
        }),
        NOW,
      ),
    ).toEqual({ status: WabaStatus.ACTIVE, statusReason: WabaStatusReason.SCHEDULED_FOR_DISABLE });
  });
});

describe(deriveMmLiteStatus.name, () => {
  const started = new Date('2026-01-10T09:00:00Z');

  // Every row of product-spec §2.4: Meta's value × the portfolio's terms × setup on the platform.
  it.each<[string | null, string | null, Date | null, MmLiteStatus | null]>([
    ['ONBOARDED', null, null, MmLiteStatus.ONBOARDED],
    ['ONBOARDED', 'TERM_OF_SERVICE_SIGNED', started, MmLiteStatus.ONBOARDED],
    ['ONBOARDED', 'NOT_STARTED', null, MmLiteStatus.ONBOARDED],
    [null, null, null, null],
    ['ELIGIBLE', null, null, null],
    ['ELIGIBLE', 'NOT_STARTED', null, null],
    ['INELIGIBLE_COUNTRY_NOT_SUPPORTED', null, null, null],
    ['INELIGIBLE_ON_BEHALF_OF_WABA', 'NOT_STARTED', null, null],
    ['INELIGIBLE_INACTIVE_OR_RESTRICTED', null, null, null],
    ['INELIGIBLE_USING_WHATSAPP_BUSINESS_APP', null, null, null],
    ['ELIGIBLE', null, started, MmLiteStatus.NOT_ONBOARDED],
    [null, null, started, MmLiteStatus.NOT_ONBOARDED],
    ['INELIGIBLE_COUNTRY_NOT_SUPPORTED', null, started, MmLiteStatus.NOT_ONBOARDED],
    ['PENDING_VALID_PAYMENT_METHOD', null, null, MmLiteStatus.NOT_ONBOARDED],
    ['PENDING_INTERNAL_SETUP', 'NOT_STARTED', null, MmLiteStatus.NOT_ONBOARDED],
    ['ELIGIBLE', 'TERM_OF_SERVICE_SIGNED', null, MmLiteStatus.NOT_ONBOARDED],
    ['ELIGIBLE', 'REQUEST_SENT', null, MmLiteStatus.NOT_ONBOARDED],
    [null, 'TERM_OF_SERVICE_SIGNED', null, MmLiteStatus.NOT_ONBOARDED],
    ['INELIGIBLE_INACTIVE_OR_RESTRICTED', 'TERM_OF_SERVICE_SIGNED', null, MmLiteStatus.NOT_ONBOARDED],
  ])('should map Meta %s with terms %s and setup %s to %s', (metaStatus, termsStatus, setupStartedAt, expected) => {
    expect(
      deriveMmLiteStatus({
        mmLiteMetaStatus: metaStatus,
        mmLiteTermsStatus: termsStatus,
        mmLiteSetupStartedAt: setupStartedAt,
      }),
    ).toBe(expected);
  });
});

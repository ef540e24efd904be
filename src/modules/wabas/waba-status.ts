import type { Waba } from './waba.entity';
import {
  META_MM_LITE_ONBOARDED,
  META_MM_LITE_PENDING_PREFIX,
  META_STATUS_REASON_PREFIX,
  META_TERMS_REQUEST_SENT,
  META_TERMS_SIGNED,
  MmLiteStatus,
  WabaBanState,
  WabaStatus,
  WabaStatusReason,
} from './wabas.constants';

/** The signals of product-spec §2.3 the status is derived from. */
export type WabaStatusSignals = Pick<
  Waba,
  'banState' | 'disconnectedReason' | 'metaStatus' | 'healthWabaCanSend' | 'restrictionExpiresAt'
>;

/**
 * Derives Active/Disabled and its reason from Meta's signals, strongest first (product-spec §2.3). A
 * rejected token is deliberately not a signal: it changes `connection`, never `status`.
 */
export function deriveWabaStatus(
  signals: WabaStatusSignals,
  now: Date = new Date(),
): { status: WabaStatus; statusReason: string | null } {
  if (signals.banState === WabaBanState.DISABLE) {
    return { status: WabaStatus.DISABLED, statusReason: WabaStatusReason.BANNED };
  }
  if (signals.disconnectedReason) {
    return { status: WabaStatus.DISABLED, statusReason: WabaStatusReason.DISCONNECTED };
  }
  if (signals.metaStatus && signals.metaStatus !== 'ACTIVE') {
    return { status: WabaStatus.DISABLED, statusReason: `${META_STATUS_REASON_PREFIX}${signals.metaStatus}` };
  }
  if (signals.healthWabaCanSend === 'BLOCKED') {
    return { status: WabaStatus.DISABLED, statusReason: WabaStatusReason.BLOCKED };
  }
  if (signals.banState === WabaBanState.SCHEDULE_FOR_DISABLE) {
    return { status: WabaStatus.ACTIVE, statusReason: WabaStatusReason.SCHEDULED_FOR_DISABLE };
  }
  if (signals.restrictionExpiresAt && signals.restrictionExpiresAt.getTime() > now.getTime()) {
    return { status: WabaStatus.ACTIVE, statusReason: WabaStatusReason.RESTRICTED };
  }
  return { status: WabaStatus.ACTIVE, statusReason: null };
}

const TERMS_IN_PROGRESS = new Set([META_TERMS_SIGNED, META_TERMS_REQUEST_SENT]);

/**
 * The MM Lite column (product-spec §2.4): ONBOARDED when Meta says so; NOT_ONBOARDED once anything has
 * started (setup on the platform, Meta's PENDING_*, terms signed or requested); otherwise null (dash).
 */
export function deriveMmLiteStatus(
  input: Pick<Waba, 'mmLiteMetaStatus' | 'mmLiteTermsStatus' | 'mmLiteSetupStartedAt'>,
): MmLiteStatus | null {
  if (input.mmLiteMetaStatus === META_MM_LITE_ONBOARDED) {
    return MmLiteStatus.ONBOARDED;
  }
  if (
    input.mmLiteSetupStartedAt !== null ||
    input.mmLiteMetaStatus?.startsWith(META_MM_LITE_PENDING_PREFIX) === true ||
    (input.mmLiteTermsStatus !== null && TERMS_IN_PROGRESS.has(input.mmLiteTermsStatus))
  ) {
    return MmLiteStatus.NOT_ONBOARDED;
  }
  return null;
}

import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import type { PhoneNumber } from './phone-number.entity';
import type { SendingChannel } from './phone-numbers.constants';

/** The Meta-side fields of a number that a Graph read refreshes and that changes are audited for. */
export const PHONE_META_FIELDS = [
  'displayPhoneNumber',
  'verifiedName',
  'qualityRating',
  'status',
  'nameStatus',
  'codeVerificationStatus',
  'platformType',
  'throughputLevel',
  'messagingLimitTier',
] as const;

export type PhoneMetaField = (typeof PHONE_META_FIELDS)[number];

/** Digits only: Meta formats the same number differently in lists and webhooks. */
export function phoneDigits(display: string | null): string | null {
  const digits = display?.replace(/\D/g, '') ?? '';
  return digits.length > 0 ? digits : null;
}

/** Copies a Graph read onto the number; fields Meta did not send keep their value. */
export function applyPhoneSnapshot(phone: PhoneNumber, snapshot: PhoneNumberSnapshot, syncedAt = new Date()): void {
  for (const field of PHONE_META_FIELDS) {
    const value = snapshot[field];
    if (value !== null && value !== undefined) {
      phone[field] = value;
    }
  }
  phone.displayPhoneDigits = phoneDigits(phone.displayPhoneNumber);
  if (snapshot.healthStatus) {
    phone.health = snapshot.healthStatus as unknown as Record<string, unknown>;
  }
  phone.lastSyncedAt = syncedAt;
}

/** What changes of a number are audited for: its Meta fields and its sending channel. */
export function phoneState(phone: PhoneNumber): { fields: Record<string, unknown>; sendingChannel: SendingChannel } {
  return {
    fields: Object.fromEntries(PHONE_META_FIELDS.map((field) => [field, phone[field]])),
    sendingChannel: phone.sendingChannel,
  };
}

/** The Meta fields that differ from `before` (a {@link phoneState}`.fields`), before and after. */
export function changedFields(
  before: Record<string, unknown>,
  phone: PhoneNumber,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const after = phoneState(phone).fields;
  const keys = Object.keys(after).filter((key) => before[key] !== after[key]);
  return {
    before: Object.fromEntries(keys.map((key) => [key, before[key]])),
    after: Object.fromEntries(keys.map((key) => [key, after[key]])),
  };
}

import type { PhoneNumberSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import { isOlderReport } from 'src/common/time/as-of';

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

/**
 * The fields of a number that webhooks set too, by group, each group with the column holding Meta's time
 * of the newest report (webhook or read) applied to it: a report older than that does not change the
 * group (as for the WABA's facts, waba-facts.ts). The other fields only reads set.
 */
export const PHONE_FACT_AS_OF = {
  nameStatus: 'nameStatusAsOf',
  quality: 'qualityAsOf',
  throughput: 'throughputAsOf',
} as const satisfies Record<string, keyof PhoneNumber>;

export type PhoneFact = keyof typeof PHONE_FACT_AS_OF;

const PHONE_FACTS = Object.keys(PHONE_FACT_AS_OF) as PhoneFact[];

const PHONE_FACT_FIELDS: Record<PhoneFact, readonly PhoneMetaField[]> = {
  nameStatus: ['nameStatus', 'verifiedName'],
  quality: ['qualityRating', 'messagingLimitTier'],
  throughput: ['throughputLevel'],
};

const FACT_OF_FIELD = new Map<PhoneMetaField, PhoneFact>(
  (Object.entries(PHONE_FACT_FIELDS) as Array<[PhoneFact, readonly PhoneMetaField[]]>).flatMap(([fact, fields]) =>
    fields.map((field) => [field, fact] as const),
  ),
);

/** True when a report as of `observedAt` is older than what the number's fact shows (whole seconds). */
export function isPhoneFactStale(phone: PhoneNumber, fact: PhoneFact, observedAt: Date): boolean {
  return isOlderReport(observedAt, phone[PHONE_FACT_AS_OF[fact]]);
}

/**
 * Applies a report of a fact unless it is older than what the fact shows; records its time (never moving
 * it backwards). Returns whether it was applied.
 */
export function observePhoneFact(phone: PhoneNumber, fact: PhoneFact, observedAt: Date, apply: () => void): boolean {
  if (isPhoneFactStale(phone, fact, observedAt)) {
    return false;
  }
  apply();
  const column = PHONE_FACT_AS_OF[fact];
  const asOf = phone[column];
  phone[column] = asOf !== null && asOf.getTime() > observedAt.getTime() ? asOf : observedAt;
  return true;
}

/**
 * Applies a webhook's report of a fact as of `observedAt` (`apply` null only checks that it is not stale)
 * and moves the number's `lastWebhookAt` forward to it. Returns false, changing nothing, when the fact
 * shows a newer report.
 */
export function observeWebhookFact(
  phone: PhoneNumber,
  fact: PhoneFact,
  observedAt: Date,
  apply: (() => void) | null,
): boolean {
  const applied = apply ? observePhoneFact(phone, fact, observedAt, apply) : !isPhoneFactStale(phone, fact, observedAt);
  if (!applied) {
    return false;
  }
  if (phone.lastWebhookAt === null || phone.lastWebhookAt.getTime() < observedAt.getTime()) {
    phone.lastWebhookAt = observedAt;
  }
  return true;
}

/** Digits only: Meta formats the same number differently in lists and webhooks. */
export function phoneDigits(display: string | null): string | null {
  const digits = display?.replace(/\D/g, '') ?? '';
  return digits.length > 0 ? digits : null;
}

// The fields are copied already when the facts' times are recorded.
const NOTHING_MORE = (): void => undefined;

/**
 * Copies a Graph read as of `observedAt` (when the read began) onto the number; fields Meta did not send
 * keep their value, and so do the facts a newer report set ({@link PHONE_FACT_AS_OF}).
 */
export function applyPhoneSnapshot(phone: PhoneNumber, snapshot: PhoneNumberSnapshot, observedAt = new Date()): void {
  // Decided before any field moves; plain flags, not sets: a sync chunk applies hundreds of numbers.
  const stale: Record<PhoneFact, boolean> = { nameStatus: false, quality: false, throughput: false };
  const reported: Record<PhoneFact, boolean> = { nameStatus: false, quality: false, throughput: false };
  for (const fact of PHONE_FACTS) {
    stale[fact] = isPhoneFactStale(phone, fact, observedAt);
  }
  for (const field of PHONE_META_FIELDS) {
    const value = snapshot[field];
    const fact = FACT_OF_FIELD.get(field);
    if (value === null || value === undefined || (fact && stale[fact])) {
      continue;
    }
    phone[field] = value;
    if (fact) {
      reported[fact] = true;
    }
  }
  for (const fact of PHONE_FACTS) {
    if (reported[fact]) {
      observePhoneFact(phone, fact, observedAt, NOTHING_MORE);
    }
  }
  phone.displayPhoneDigits = phoneDigits(phone.displayPhoneNumber);
  if (snapshot.healthStatus) {
    phone.health = snapshot.healthStatus as unknown as Record<string, unknown>;
  }
  phone.lastSyncedAt = new Date();
}

/** What changes of a number are audited for: its Meta fields and its sending channel. */
export interface PhoneState {
  fields: Record<string, unknown>;
  sendingChannel: SendingChannel;
}

/** The number's {@link PhoneState} now, to compare with after a transition. */
export function phoneState(phone: PhoneNumber): PhoneState {
  const fields: Record<string, unknown> = {};
  for (const field of PHONE_META_FIELDS) {
    fields[field] = phone[field];
  }
  return { fields, sendingChannel: phone.sendingChannel };
}

/** The Meta fields that differ from `before` (a {@link phoneState}`.fields`), before and after. */
export function changedFields(
  before: Record<string, unknown>,
  phone: PhoneNumber,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  // Walks the fields without building the number's state: a sync chunk compares hundreds of numbers, most unchanged.
  const changed: { before: Record<string, unknown>; after: Record<string, unknown> } = { before: {}, after: {} };
  for (const field of PHONE_META_FIELDS) {
    if (before[field] !== phone[field]) {
      changed.before[field] = before[field];
      changed.after[field] = phone[field];
    }
  }
  return changed;
}

/** Whether any Meta field differs from `before` (a {@link phoneState}`.fields`): {@link changedFields} without building it. */
export function anyFieldChanged(before: Record<string, unknown>, phone: PhoneNumber): boolean {
  for (const field of PHONE_META_FIELDS) {
    if (before[field] !== phone[field]) {
      return true;
    }
  }
  return false;
}

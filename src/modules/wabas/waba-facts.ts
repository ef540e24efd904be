import { isOlderReport } from 'src/common/time/as-of';

import type { Waba } from './waba.entity';

/**
 * The facts about a WABA that more than one report sets (webhooks, reads of the WABA, signups), each with
 * the column holding Meta's time of the newest report applied to it. Webhooks arrive out of order and are
 * redelivered for days, and a read can be applied after a webhook that is newer than the read itself: so
 * each fact is changed only by a report at least as recent as the one that set it, independently of the
 * others (an hour-old review decision must not win, even if a newer ban arrived in between).
 */
export const WABA_FACT_AS_OF = {
  banState: 'banStateAt',
  disconnection: 'disconnectionAt',
  connection: 'connectionAt',
  country: 'countryAt',
  accountReviewStatus: 'accountReviewStatusAt',
  restrictions: 'restrictionsAt',
  mmLiteTermsStatus: 'mmLiteTermsStatusAt',
  /** Whether Meta delivers the WABA's webhooks to us (checks of subscribed_apps, successful subscriptions). */
  webhooks: 'webhooksCheckedAt',
  /** Everything only reads report: name, Meta's status, health, MM Lite onboarding status… */
  snapshot: 'snapshotAt',
} as const satisfies Record<string, keyof Waba>;

/** One of the independently dated facts of {@link WABA_FACT_AS_OF}. */
export type WabaFact = keyof typeof WABA_FACT_AS_OF;

type AsOfColumns = Pick<Waba, (typeof WABA_FACT_AS_OF)[WabaFact]>;

/**
 * True when a report as of `observedAt` is older than what the fact already shows. Compared in whole
 * seconds, the precision of Meta's `entry.time`: a report of the same second is not older, so it applies
 * in arrival order (and a redelivery of the applied report is harmless).
 */
export function isStale(waba: AsOfColumns, fact: WabaFact, observedAt: Date): boolean {
  return isOlderReport(observedAt, waba[WABA_FACT_AS_OF[fact]]);
}

/** Records that the fact is known as of `observedAt` (never moving its time backwards). */
export function recordObservation(waba: AsOfColumns, fact: WabaFact, observedAt: Date): void {
  const column = WABA_FACT_AS_OF[fact];
  const asOf = waba[column];
  waba[column] = asOf !== null && asOf.getTime() > observedAt.getTime() ? asOf : observedAt;
}

/**
 * Applies a report of a fact unless it is older than what the fact shows ({@link isStale}); returns
 * whether it was applied. `apply` changes only the fact's own fields.
 */
export function observeFact(waba: AsOfColumns, fact: WabaFact, observedAt: Date, apply: () => void): boolean {
  if (isStale(waba, fact, observedAt)) {
    return false;
  }
  apply();
  recordObservation(waba, fact, observedAt);
  return true;
}

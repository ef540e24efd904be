import {
  MARKETING_PAUSE_MS,
  MarketingHoldKind,
  MarketingMessageStatus,
  META_CODE_MARKETING_LIMITED,
  META_CODE_RECIPIENT_OPTED_OUT,
} from 'src/modules/mm-lite/mm-lite.constants';
import type { MarketingPreferenceReport } from 'src/modules/mm-lite/mm-lite.types';

import type { StatusTarget } from './marketing-message.repository';
import type { HoldFact } from './marketing-recipient-hold.repository';

/** A send as a hold reads it: who it went to, its status, Meta's code and time of its failure. */
export type FailedSend = Omit<StatusTarget, 'id'>;

/**
 * The holds a failed send sets: 131050 → OPTED_OUT (until the user resumes), 131049 → PAUSED until Meta's
 * time of the failure + 24 h. Other outcomes set none.
 */
export function holdOfFailure(send: FailedSend): HoldFact | null {
  if (send.status !== MarketingMessageStatus.FAILED || send.failedAt === null) {
    return null;
  }
  const base = {
    organizationId: send.organizationId,
    wabaId: send.wabaId,
    recipient: send.recipient,
    observedAt: send.failedAt,
    reasonCode: send.failureCode,
    messageId: send.messageId,
    cleared: false,
  };
  if (send.failureCode === META_CODE_RECIPIENT_OPTED_OUT) {
    return { ...base, kind: MarketingHoldKind.OPTED_OUT, until: null };
  }
  if (send.failureCode === META_CODE_MARKETING_LIMITED) {
    return { ...base, kind: MarketingHoldKind.PAUSED, until: new Date(send.failedAt.getTime() + MARKETING_PAUSE_MS) };
  }
  return null;
}

/** The OPTED_OUT facts of `user_preferences` reports: a stop sets the hold, a resume clears it. */
export function holdsOfPreferences(
  organizationId: string,
  wabaId: string,
  reports: readonly MarketingPreferenceReport[],
): HoldFact[] {
  return reports.flatMap((report) =>
    report.recipients.map((recipient) => ({
      organizationId,
      wabaId,
      recipient,
      kind: MarketingHoldKind.OPTED_OUT,
      observedAt: report.at,
      until: null,
      reasonCode: null,
      messageId: null,
      cleared: !report.stop,
    })),
  );
}

/**
 * One fact per (WABA, recipient, kind), the newest by Meta's time (one statement may not write a row twice);
 * of two facts of the same second, the later in the delivery wins, as Meta lists them in order.
 */
export function newestPerKey(facts: readonly HoldFact[]): HoldFact[] {
  const newest = new Map<string, HoldFact>();
  for (const fact of facts) {
    const key = `${fact.wabaId}\u0000${fact.recipient}\u0000${fact.kind}`;
    const kept = newest.get(key);
    if (!kept || kept.observedAt.getTime() <= fact.observedAt.getTime()) {
      newest.set(key, fact);
    }
  }
  return [...newest.values()];
}

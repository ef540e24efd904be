import { EntityRepository } from '@mikro-orm/postgresql';

import { boundRows, preparedRows } from 'src/common/database/bound-sql';
import { MarketingHoldKind } from 'src/modules/mm-lite/mm-lite.constants';

import type { MarketingRecipientHold } from './marketing-recipient-hold.entity';

/** A fact about a recipient of a WABA: a hold set (or renewed) or, with `cleared`, ended, as of Meta's time. */
export interface HoldFact {
  organizationId: string;
  wabaId: string;
  recipient: string;
  kind: MarketingHoldKind;
  /** Meta's time of the fact. */
  observedAt: Date;
  /** When a PAUSED hold ends; null for OPTED_OUT. */
  until: Date | null;
  reasonCode: number | null;
  messageId: string | null;
  /** The fact ends the hold (a `resume`). */
  cleared: boolean;
}

/** A hold in force on a send. */
export interface ActiveHold {
  kind: MarketingHoldKind;
  until: Date | null;
  reasonCode: number | null;
}

interface ActiveHoldColumns {
  kind: MarketingHoldKind;
  until: Date | string | null;
  reason_code: number | null;
}

/** The mm-lite module's SQL over `marketing_recipient_holds`. */
export class MarketingRecipientHoldRepository extends EntityRepository<MarketingRecipientHold> {
  /** The holds in force now on sends from the WABA to the recipient, OPTED_OUT first. */
  async activeHolds(organizationId: string, wabaId: string, recipient: string, now: Date): Promise<ActiveHold[]> {
    const rows = await boundRows<ActiveHoldColumns>(
      this.getEntityManager(),
      `SELECT kind, until, reason_code
         FROM marketing_recipient_holds
        WHERE waba_id = ? AND recipient = ? AND organization_id = ? AND cleared_at IS NULL
          AND (until IS NULL OR until > ?)
        ORDER BY kind`,
      [wabaId, recipient, organizationId, now],
    );
    return rows.map((row) => ({
      kind: row.kind,
      until: row.until === null ? null : new Date(row.until),
      reasonCode: row.reason_code,
    }));
  }

  /**
   * Records facts in one statement: each sets its (WABA, recipient, kind) hold, or clears it, unless the row
   * holds a newer fact of Meta's (`observed_at`), so a fact delivered late never overrides a newer one. Meta's
   * times are whole seconds, so facts of the same second count as equally recent and the later-applied one wins
   * (the rule of `common/time/as-of.ts`; the inbox applies a WABA's deliveries in arrival order): a stop and a
   * resume in one second end resumed. A clearing fact with no row yet is kept too (cleared), for the same
   * reason. At most one fact per key.
   */
  async record(facts: readonly HoldFact[]): Promise<void> {
    if (facts.length === 0) {
      return;
    }
    const column = <T>(pick: (fact: HoldFact) => T): T[] => facts.map(pick);
    // Prepared: status webhooks' failures record holds one change at a time, with this one fixed text.
    await preparedRows(
      this.getEntityManager(),
      `INSERT INTO marketing_recipient_holds
              (waba_id, recipient, kind, organization_id, until, reason_code, message_id, observed_at, cleared_at)
       SELECT f.waba_id, f.recipient, f.kind::marketing_hold_kind, f.organization_id, f.until, f.reason_code,
              f.message_id, f.observed_at, CASE WHEN f.cleared THEN f.observed_at END
         FROM unnest(?::text[], ?::text[], ?::text[], ?::uuid[], ?::timestamptz[], ?::int[], ?::text[],
                     ?::timestamptz[], ?::boolean[])
              AS f(waba_id, recipient, kind, organization_id, until, reason_code, message_id, observed_at, cleared)
       ON CONFLICT (waba_id, recipient, kind) DO UPDATE
          SET until = excluded.until, reason_code = excluded.reason_code, message_id = excluded.message_id,
              observed_at = excluded.observed_at, cleared_at = excluded.cleared_at, updated_at = now()
        WHERE date_trunc('second', marketing_recipient_holds.observed_at) <= date_trunc('second', excluded.observed_at)`,
      [
        column((f) => f.wabaId),
        column((f) => f.recipient),
        column((f) => f.kind),
        column((f) => f.organizationId),
        column((f) => f.until?.toISOString() ?? null),
        column((f) => f.reasonCode),
        column((f) => f.messageId),
        column((f) => f.observedAt.toISOString()),
        column((f) => f.cleared),
      ],
    );
  }

  /**
   * Deletes up to `limit` PAUSED holds that ended before `now` (found through the partial
   * `marketing_recipient_holds_paused_until_index`), as `MarketingMessageHistoryRepository.pruneSends` does but by row address (`ctid`):
   * the key has three columns, and a row-value `IN` let the planner scan the whole table to join them. The
   * rows are locked by the same statement, so their addresses cannot move before the delete. OPTED_OUT holds
   * are never pruned: they last until the user resumes, however old they are.
   */
  async pruneEndedPauses(now: Date, limit: number): Promise<number> {
    const rows = await boundRows<{ waba_id: string }>(
      this.getEntityManager(),
      `DELETE FROM marketing_recipient_holds
        WHERE ctid = ANY(ARRAY(
              SELECT ctid FROM marketing_recipient_holds
               WHERE kind = '${MarketingHoldKind.PAUSED}' AND until < ?
               ORDER BY until
               LIMIT ?
                 FOR UPDATE SKIP LOCKED))
    RETURNING waba_id`,
      [now.toISOString(), limit],
    );
    return rows.length;
  }
}

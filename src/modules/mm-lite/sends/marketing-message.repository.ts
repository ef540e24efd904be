import { EntityRepository } from '@mikro-orm/postgresql';

import { boundRows, preparedRows } from 'src/common/database/bound-sql';
import { MARKETING_MESSAGE_STATUS_RANK, MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';
import type { MessageStatusReport } from 'src/modules/mm-lite/mm-lite.types';

import type { MarketingMessage } from './marketing-message.entity';
import { rankSql } from './status-order';

/**
 * How far a send may be recorded after Meta's time of its status and still be the one it is about: Meta's
 * timestamps are whole seconds from Meta's clock, ours are milliseconds from ours.
 */
const CLOCK_SLACK = '1 minute';

/** How long after a send a status webhook is still matched to it by number and recipient. */
const RECONCILE_WINDOW = '24 hours';

/** A send a status applied to, as the update left it (for the holds its failure sets). */
export interface StatusTarget {
  id: string;
  organizationId: string;
  wabaId: string;
  recipient: string;
  /** Null only for a send refused by Meta's answer. */
  messageId: string | null;
  status: MarketingMessageStatus;
  failureCode: number | null;
  failedAt: Date | null;
}

/** A send's status columns, as a status webhook reconciled by mistake had set them. */
export interface TakenStatuses {
  metaSentAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  failureCode: number | null;
  failureTitle: string | null;
  failureDetails: string | null;
  pricingCategory: string | null;
}

interface TargetColumns {
  id: string;
  organization_id: string;
  waba_id: string;
  recipient: string;
  message_id: string | null;
  status: MarketingMessageStatus;
  failure_code: number | null;
  failed_at: Date | string | null;
}

interface TakenColumns {
  meta_sent_at: Date | string | null;
  delivered_at: Date | string | null;
  read_at: Date | string | null;
  failed_at: Date | string | null;
  failure_code: number | null;
  failure_title: string | null;
  failure_details: string | null;
  pricing_category: string | null;
}

/**
 * Applies a change's statuses in one statement. Each status finds its send by message ID; else by
 * `biz_opaque_callback_data` (our ID, of a send without a message ID yet or with this one); else, for a send
 * whose POST answer was lost, the oldest send of the number to that recipient still without a message ID,
 * made before the status (within the clock slack) and at most 24 h before it. Each message ID goes to one
 * send and each send takes one message ID (the first matched), so two lost sends to the same recipient never
 * share one. Per send, the status of highest rank wins if it outranks the stored one (statusApplies); every status keeps
 * its own time; a failure's code, title and details come with FAILED; the latest pricing category is kept.
 *
 * Written so that PostgreSQL keeps one generic plan for the prepared statement (planning it cost ~1.5 ms of its
 * CPU, five times running it) and that plan is index lookups whatever the values: the arrays pass through a
 * subquery it cannot flatten (`OFFSET 0`), so that no plan knows their lengths and a custom plan never looks
 * cheaper; each lookup is a `LIMIT 1` lateral subquery, which cannot be turned into a scan of the number's sends
 * (a generic plan guesses a number and a WABA hold one send together); the lost answer's lookup holds only what
 * `marketing_messages_unanswered_index` answers, its WABA, window and order applied to what that finds, so that
 * no index ordered by time can look cheaper.
 */
const APPLY_STATUSES_SQL = `
WITH arrays AS (
  SELECT ?::text[] AS wamid, ?::text[] AS status, ?::timestamptz[] AS at, ?::uuid[] AS callback, ?::text[] AS r1,
         ?::text[] AS r2, ?::text[] AS r3, ?::int[] AS code, ?::text[] AS title, ?::text[] AS details,
         ?::text[] AS pricing, ?::int[] AS rank
  OFFSET 0
),
input AS (
  SELECT i.*
    FROM arrays a,
         unnest(a.wamid, a.status, a.at, a.callback, a.r1, a.r2, a.r3, a.code, a.title, a.details, a.pricing, a.rank)
         WITH ORDINALITY AS i(wamid, status, at, callback, r1, r2, r3, code, title, details, pricing, rank, ord)
),
matched AS (
  SELECT i.wamid, i.ord, COALESCE(w.id, c.id, r.id) AS row_id,
         CASE WHEN w.id IS NOT NULL THEN 0 WHEN c.id IS NOT NULL THEN 1 ELSE 2 END AS how
    FROM input i
    LEFT JOIN LATERAL (
      SELECT m.id
        FROM marketing_messages m
       WHERE m.message_id = i.wamid AND m.phone_number_id = ? AND m.waba_id = ?
       LIMIT 1
    ) w ON true
    LEFT JOIN LATERAL (
      SELECT m.id
        FROM marketing_messages m
       WHERE w.id IS NULL AND m.id = i.callback AND m.phone_number_id = ? AND m.waba_id = ?
         AND (m.message_id IS NULL OR m.message_id = i.wamid)
       LIMIT 1
    ) c ON true
    LEFT JOIN LATERAL (
      SELECT u.id
        FROM (SELECT m.id, m.waba_id, m.created_at
                FROM marketing_messages m
               WHERE w.id IS NULL AND c.id IS NULL
                 AND m.phone_number_id = ? AND m.message_id IS NULL AND m.recipient IN (i.r1, i.r2, i.r3)
              OFFSET 0) u
       WHERE u.waba_id = ?
         AND u.created_at < i.at + interval '${CLOCK_SLACK}'
         AND u.created_at > i.at - interval '${RECONCILE_WINDOW}'
       ORDER BY u.created_at, u.id
       LIMIT 1
    ) r ON true
),
per_wamid AS (
  SELECT DISTINCT ON (wamid) wamid, row_id
    FROM matched
   WHERE row_id IS NOT NULL
   ORDER BY wamid, how, ord
),
per_row AS (
  SELECT DISTINCT ON (row_id) row_id, wamid FROM per_wamid ORDER BY row_id, wamid
),
agg AS (
  SELECT p.row_id, p.wamid,
         max(i.rank) AS top_rank,
         (array_agg(i.status ORDER BY i.rank DESC, i.at DESC))[1] AS top_status,
         (array_agg(i.at ORDER BY i.rank DESC, i.at DESC))[1] AS top_at,
         min(i.at) FILTER (WHERE i.status = 'SENT') AS sent_at,
         min(i.at) FILTER (WHERE i.status = 'DELIVERED') AS delivered_at,
         min(i.at) FILTER (WHERE i.status = 'READ') AS read_at,
         min(i.at) FILTER (WHERE i.status = 'FAILED') AS failed_at,
         (array_agg(i.code ORDER BY i.at) FILTER (WHERE i.status = 'FAILED'))[1] AS code,
         (array_agg(i.title ORDER BY i.at) FILTER (WHERE i.status = 'FAILED'))[1] AS title,
         (array_agg(i.details ORDER BY i.at) FILTER (WHERE i.status = 'FAILED'))[1] AS details,
         (array_agg(i.pricing ORDER BY i.at DESC) FILTER (WHERE i.pricing IS NOT NULL))[1] AS pricing
    FROM per_row p
    JOIN input i ON i.wamid = p.wamid
   GROUP BY p.row_id, p.wamid
)
UPDATE marketing_messages m
   SET message_id = COALESCE(m.message_id, a.wamid),
       status = CASE WHEN a.top_rank > ${rankSql('m.status')} THEN a.top_status::marketing_message_status
                     ELSE m.status END,
       status_at = CASE WHEN a.top_rank > ${rankSql('m.status')} THEN a.top_at ELSE m.status_at END,
       failure_code = CASE WHEN a.top_status = 'FAILED' AND m.status <> 'FAILED' THEN a.code ELSE m.failure_code END,
       failure_title = CASE WHEN a.top_status = 'FAILED' AND m.status <> 'FAILED' THEN a.title
                            ELSE m.failure_title END,
       failure_details = CASE WHEN a.top_status = 'FAILED' AND m.status <> 'FAILED' THEN a.details
                              ELSE m.failure_details END,
       meta_sent_at = LEAST(m.meta_sent_at, a.sent_at),
       delivered_at = LEAST(m.delivered_at, a.delivered_at),
       read_at = LEAST(m.read_at, a.read_at),
       failed_at = CASE WHEN m.status = 'FAILED' THEN m.failed_at ELSE LEAST(m.failed_at, a.failed_at) END,
       pricing_category = COALESCE(a.pricing, m.pricing_category),
       updated_at = now()
  FROM agg a
 WHERE m.id = a.row_id
RETURNING m.id, m.organization_id, m.waba_id, m.recipient, m.message_id, m.status, m.failure_code, m.failed_at`;

/**
 * Whether any of a change's statuses could match a send (see APPLY_STATUSES_SQL), looser than the match
 * itself: a send with one of the message IDs, or with one of the callback IDs, or of the number still without
 * a message ID to one of the recipients. Each test is one probe of the index made for it (the message ID's
 * unique index, the primary key, `marketing_messages_unanswered_index`), whatever the values: the arrays go
 * through `ARRAY(SELECT unnest(…))` so that planning sees no array length, and PostgreSQL keeps one generic plan
 * for the prepared statement instead of planning it for each change.
 */
const ANY_CANDIDATE_SQL = `
SELECT EXISTS (SELECT 1 FROM marketing_messages WHERE message_id = ANY(ARRAY(SELECT unnest(?::text[]))))
    OR EXISTS (SELECT 1 FROM marketing_messages WHERE id = ANY(ARRAY(SELECT unnest(?::uuid[]))))
    OR EXISTS (SELECT 1 FROM marketing_messages
                WHERE phone_number_id = ? AND message_id IS NULL
                  AND recipient = ANY(ARRAY(SELECT unnest(?::text[])))) AS found`;

const TARGET_COLUMNS = 'id, organization_id, waba_id, recipient, message_id, status, failure_code, failed_at';

/** The mm-lite module's SQL over `marketing_messages`. */
export class MarketingMessageRepository extends EntityRepository<MarketingMessage> {
  /**
   * Meta accepted the send: its message ID, and ACCEPTED unless a status webhook got there first (the
   * webhook can be applied before the POST's answer is).
   */
  async markAccepted(id: string, messageId: string): Promise<{ wabaId: string; phoneNumberId: string } | null> {
    const rows = await boundRows<{ waba_id: string; phone_number_id: string }>(
      this.getEntityManager(),
      `UPDATE marketing_messages
          SET message_id = ?,
              status = CASE WHEN status = 'UNKNOWN' THEN 'ACCEPTED'::marketing_message_status ELSE status END,
              updated_at = now()
        WHERE id = ?
       RETURNING waba_id, phone_number_id`,
      [messageId, id],
    );
    return rows[0] ? { wabaId: rows[0].waba_id, phoneNumberId: rows[0].phone_number_id } : null;
  }

  /** Meta refused the send, or it cannot have left: FAILED with Meta's code, title and details. */
  async markRefused(
    id: string,
    failure: { code: number | null; title: string | null; details: string | null },
    at: Date,
  ): Promise<StatusTarget | null> {
    const rows = await boundRows<TargetColumns>(
      this.getEntityManager(),
      `UPDATE marketing_messages
          SET status = 'FAILED', status_at = ?, failed_at = ?, failure_code = ?, failure_title = ?,
              failure_details = ?, updated_at = now()
        WHERE id = ? AND status = 'UNKNOWN'
       RETURNING ${TARGET_COLUMNS}`,
      [at, at, failure.code, failure.title, failure.details, id],
    );
    return rows[0] ? targetOf(rows[0]) : null;
  }

  /**
   * Takes a message ID back from the send a status webhook reconciled it to by number and recipient while
   * the real send's answer was on its way (send `exceptId`): that send is UNKNOWN again, without the statuses
   * it was given, which are returned so that they can go to the right one. Null when no other send has it.
   */
  async takeMessageId(messageId: string, exceptId: string): Promise<TakenStatuses | null> {
    const rows = await boundRows<TakenColumns>(
      this.getEntityManager(),
      `WITH taken AS (
         SELECT id, meta_sent_at, delivered_at, read_at, failed_at, failure_code, failure_title, failure_details,
                pricing_category
           FROM marketing_messages
          WHERE message_id = ? AND id <> ?
            FOR UPDATE
       )
       UPDATE marketing_messages m
          SET message_id = NULL, status = 'UNKNOWN', status_at = NULL, meta_sent_at = NULL, delivered_at = NULL,
              read_at = NULL, failed_at = NULL, failure_code = NULL, failure_title = NULL, failure_details = NULL,
              pricing_category = NULL, updated_at = now()
         FROM taken
        WHERE m.id = taken.id
       RETURNING taken.meta_sent_at, taken.delivered_at, taken.read_at, taken.failed_at, taken.failure_code,
                 taken.failure_title, taken.failure_details, taken.pricing_category`,
      [messageId, exceptId],
    );
    const [row] = rows;
    if (!row) {
      return null;
    }
    return {
      metaSentAt: dateOrNull(row.meta_sent_at),
      deliveredAt: dateOrNull(row.delivered_at),
      readAt: dateOrNull(row.read_at),
      failedAt: dateOrNull(row.failed_at),
      failureCode: row.failure_code,
      failureTitle: row.failure_title,
      failureDetails: row.failure_details,
      pricingCategory: row.pricing_category,
    };
  }

  /**
   * Applies the statuses of one change (one number of one WABA) in one statement (see APPLY_STATUSES_SQL);
   * returns the sends it touched as they are now. Statuses that match no send of ours change nothing. Runs as
   * a named prepared statement with one generic plan per connection (see APPLY_STATUSES_SQL): a status webhook
   * is the commonest delivery, and PostgreSQL planning this statement's five joins for each cost more than
   * running it. A change none of whose statuses can match a send (statuses of messages sent without this
   * service) is told by a cheaper probe first (ANY_CANDIDATE_SQL) and skips it.
   */
  async applyStatuses(
    wabaId: string,
    phoneNumberId: string,
    statuses: readonly MessageStatusReport[],
  ): Promise<StatusTarget[]> {
    if (!(await this.anyCandidate(phoneNumberId, statuses))) {
      return [];
    }
    const column = <T>(pick: (status: MessageStatusReport) => T): T[] => statuses.map(pick);
    const rows = await preparedRows<TargetColumns>(this.getEntityManager(), APPLY_STATUSES_SQL, [
      column((s) => s.messageId),
      column((s) => s.status),
      column((s) => s.at.toISOString()),
      column((s) => s.callbackData),
      column((s) => s.recipients[0] ?? null),
      column((s) => s.recipients[1] ?? null),
      column((s) => s.recipients[2] ?? null),
      column((s) => s.error?.code ?? null),
      column((s) => s.error?.title ?? null),
      column((s) => s.error?.details ?? null),
      column((s) => s.pricingCategory),
      column((s) => MARKETING_MESSAGE_STATUS_RANK[s.status]),
      phoneNumberId,
      wabaId,
      phoneNumberId,
      wabaId,
      phoneNumberId,
      wabaId,
    ]);
    return rows.map(targetOf);
  }

  /** Whether APPLY_STATUSES_SQL could match a send for any of these statuses (see ANY_CANDIDATE_SQL). */
  private async anyCandidate(phoneNumberId: string, statuses: readonly MessageStatusReport[]): Promise<boolean> {
    const rows = await preparedRows<{ found: boolean }>(this.getEntityManager(), ANY_CANDIDATE_SQL, [
      statuses.map((status) => status.messageId),
      statuses.flatMap((status) => (status.callbackData ? [status.callbackData] : [])),
      phoneNumberId,
      statuses.flatMap((status) => status.recipients),
    ]);
    return rows[0]?.found === true;
  }
}

function targetOf(row: TargetColumns): StatusTarget {
  return {
    id: row.id,
    organizationId: row.organization_id,
    wabaId: row.waba_id,
    recipient: row.recipient,
    messageId: row.message_id,
    status: row.status,
    failureCode: row.failure_code,
    failedAt: dateOrNull(row.failed_at),
  };
}

function dateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

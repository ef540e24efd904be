import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { boundRows, preparedRead } from 'src/common/database/bound-sql';
import { DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, type Page } from 'src/common/http/pagination';
import { MarketingMessageStatus } from 'src/modules/mm-lite/mm-lite.constants';

/** Filters of a number's send list. */
export interface MarketingMessageListQuery {
  status?: MarketingMessageStatus;
  /** Only sends made at or after this time. */
  since?: Date;
  limit?: number;
  cursor?: string;
}

/** A recorded send as the reads return it, read without an entity. */
export interface MarketingMessageRow {
  id: string;
  organizationId: string;
  wabaId: string;
  phoneNumberId: string;
  channel: string;
  templateName: string;
  templateLanguage: string;
  templateCategory: string | null;
  recipientType: string;
  recipient: string;
  recipientCountryCallingCode: string | null;
  messageId: string | null;
  status: MarketingMessageStatus;
  statusAt: Date | null;
  deliveredAt: Date | null;
  readAt: Date | null;
  failedAt: Date | null;
  failureCode: number | null;
  failureTitle: string | null;
  failureDetails: string | null;
  pricingCategory: string | null;
  sentBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One failure code of a window's counts, with Meta's newest title and details for it. */
export interface FailureCount {
  code: number;
  title: string | null;
  details: string | null;
  count: number;
}

/** The sends of a window: how many per status, and the most frequent failure codes. */
export interface MarketingMessageCounts {
  byStatus: Partial<Record<MarketingMessageStatus, number>>;
  topFailures: FailureCount[];
}

interface MessageColumns {
  id: string;
  organization_id: string;
  waba_id: string;
  phone_number_id: string;
  channel: string;
  template_name: string;
  template_language: string;
  template_category: string | null;
  recipient_type: string;
  recipient: string;
  recipient_country_calling_code: string | null;
  message_id: string | null;
  status: MarketingMessageStatus;
  status_at: Date | string | null;
  delivered_at: Date | string | null;
  read_at: Date | string | null;
  failed_at: Date | string | null;
  failure_code: number | null;
  failure_title: string | null;
  failure_details: string | null;
  pricing_category: string | null;
  sent_by: string;
  created_at: Date | string;
  updated_at: Date | string;
}

interface CountColumns {
  status: MarketingMessageStatus | null;
  code: number | null;
  title: string | null;
  details: string | null;
  count: string | number;
}

/** The columns every read of a send selects (as `m`); the bench EXPLAINs the same text. */
export const MARKETING_MESSAGE_COLUMNS = `m.id, m.organization_id, m.waba_id, m.phone_number_id, m.channel, m.template_name, m.template_language,
       m.template_category, m.recipient_type, m.recipient, m.recipient_country_calling_code, m.message_id,
       m.status, m.status_at, m.delivered_at, m.read_at, m.failed_at, m.failure_code, m.failure_title,
       m.failure_details, m.pricing_category, m.sent_by, m.created_at, m.updated_at`;

/**
 * The window's counts in one statement: the window's rows are read once (the CTE is materialised because it
 * is used twice), then grouped by status, and FAILED ones by code, the most frequent `?` codes only. `scope`
 * is the WHERE clause that picks the window through an index.
 */
export function marketingCountsSql(scope: string): string {
  return `
WITH w AS MATERIALIZED (
  SELECT m.status, m.failure_code, m.failure_title, m.failure_details, m.created_at
    FROM marketing_messages m
   WHERE ${scope} AND m.created_at >= ? AND m.created_at < ?
)
SELECT w.status, NULL::int AS code, NULL AS title, NULL AS details, count(*) AS count
  FROM w GROUP BY w.status
UNION ALL
(SELECT NULL, w.failure_code, (array_agg(w.failure_title ORDER BY w.created_at DESC))[1],
        (array_agg(w.failure_details ORDER BY w.created_at DESC))[1], count(*)
   FROM w WHERE w.status = '${MarketingMessageStatus.FAILED}' AND w.failure_code IS NOT NULL
  GROUP BY w.failure_code
  ORDER BY count(*) DESC, w.failure_code
  LIMIT ?)`;
}

const NUMBER_COUNTS_SQL = marketingCountsSql('m.organization_id = ? AND m.phone_number_id = ?');
// The WABA's index has no organization column: the organization is a filter on the window's rows.
const WABA_COUNTS_SQL = marketingCountsSql('m.waba_id = ? AND m.organization_id = ?');

/**
 * The mm-lite module's reads of recorded sends (a number's list, one send, a window's counts) and their
 * retention. Apart from MarketingMessageRepository, which applies sends and statuses, to keep each file to
 * one concern. Raw SQL is not covered by the tenant filter: every read carries the organization condition.
 */
@Injectable()
export class MarketingMessageHistoryRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * One page of a number's sends, newest first, keyset-paginated on (created_at, id): one range scan of
   * `marketing_messages_number_list_index`, or of `…_number_status_index` with a status filter.
   */
  async page(
    organizationId: string,
    phoneNumberId: string,
    query: MarketingMessageListQuery,
  ): Promise<Page<MarketingMessageRow>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const conditions = ['m.organization_id = ?', 'm.phone_number_id = ?'];
    const params: unknown[] = [organizationId, phoneNumberId];
    if (query.status) {
      conditions.push('m.status = ?');
      params.push(query.status);
    }
    if (query.since) {
      conditions.push('m.created_at >= ?');
      params.push(query.since.toISOString());
    }
    if (query.cursor) {
      const [createdAt, id] = decodeCursor(query.cursor, ['timestamp', 'uuid']);
      conditions.push('(m.created_at, m.id) < (?, ?)');
      params.push(createdAt.toISOString(), id);
    }
    params.push(limit + 1);
    const rows = await preparedRead<MessageColumns>(
      this.em,
      `SELECT ${MARKETING_MESSAGE_COLUMNS}
         FROM marketing_messages m
        WHERE ${conditions.join(' AND ')}
        ORDER BY m.created_at DESC, m.id DESC
        LIMIT ?`,
      params,
    );
    const data = rows.slice(0, limit).map(toRow);
    const last = data[data.length - 1];
    return { data, nextCursor: rows.length > limit && last ? encodeCursor([last.createdAt, last.id]) : null };
  }

  /** One send of the organization by our ID; null when there is none. */
  async findOne(organizationId: string, id: string): Promise<MarketingMessageRow | null> {
    const [row] = await preparedRead<MessageColumns>(
      this.em,
      `SELECT ${MARKETING_MESSAGE_COLUMNS} FROM marketing_messages m WHERE m.id = ? AND m.organization_id = ?`,
      [id, organizationId],
    );
    return row ? toRow(row) : null;
  }

  /** A number's sends made in [from, until): counts by status and the `top` most frequent failure codes. */
  async countsOfNumber(
    organizationId: string,
    phoneNumberId: string,
    from: Date,
    until: Date,
    top: number,
  ): Promise<MarketingMessageCounts> {
    const rows = await preparedRead<CountColumns>(this.em, NUMBER_COUNTS_SQL, [
      organizationId,
      phoneNumberId,
      from.toISOString(),
      until.toISOString(),
      top,
    ]);
    return countsOf(rows);
  }

  /** A WABA's sends (all its numbers) made in [from, until), as {@link countsOfNumber}. */
  async countsOfWaba(
    organizationId: string,
    wabaId: string,
    from: Date,
    until: Date,
    top: number,
  ): Promise<MarketingMessageCounts> {
    const rows = await preparedRead<CountColumns>(this.em, WABA_COUNTS_SQL, [
      wabaId,
      organizationId,
      from.toISOString(),
      until.toISOString(),
      top,
    ]);
    return countsOf(rows);
  }

  /**
   * Deletes up to `limit` sends made before `cutoff`, oldest first, in one short statement: the batch is found
   * through `marketing_messages_created_index` and deleted by primary key (`= ANY(ARRAY(…))`, which the
   * planner cannot turn into a join over the table), so it holds row locks for that batch only. Rows another
   * statement holds (a status being applied, another instance's batch) are skipped. Returns how many went.
   */
  async pruneSends(cutoff: Date, limit: number): Promise<number> {
    const rows = await boundRows<{ id: string }>(
      this.em,
      `DELETE FROM marketing_messages
        WHERE id = ANY(ARRAY(
              SELECT id FROM marketing_messages
               WHERE created_at < ?
               ORDER BY created_at
               LIMIT ?
                 FOR UPDATE SKIP LOCKED))
    RETURNING id`,
      [cutoff.toISOString(), limit],
    );
    return rows.length;
  }
}

function toRow(row: MessageColumns): MarketingMessageRow {
  return {
    id: row.id,
    organizationId: row.organization_id,
    wabaId: row.waba_id,
    phoneNumberId: row.phone_number_id,
    channel: row.channel,
    templateName: row.template_name,
    templateLanguage: row.template_language,
    templateCategory: row.template_category,
    recipientType: row.recipient_type,
    recipient: row.recipient,
    recipientCountryCallingCode: row.recipient_country_calling_code,
    messageId: row.message_id,
    status: row.status,
    statusAt: dateOrNull(row.status_at),
    deliveredAt: dateOrNull(row.delivered_at),
    readAt: dateOrNull(row.read_at),
    failedAt: dateOrNull(row.failed_at),
    failureCode: row.failure_code,
    failureTitle: row.failure_title,
    failureDetails: row.failure_details,
    pricingCategory: row.pricing_category,
    sentBy: row.sent_by,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

function countsOf(rows: readonly CountColumns[]): MarketingMessageCounts {
  const byStatus: Partial<Record<MarketingMessageStatus, number>> = {};
  const topFailures: FailureCount[] = [];
  for (const row of rows) {
    if (row.status !== null) {
      byStatus[row.status] = Number(row.count);
    } else if (row.code !== null) {
      topFailures.push({ code: row.code, title: row.title, details: row.details, count: Number(row.count) });
    }
  }
  return { byStatus, topFailures };
}

function dateOrNull(value: Date | string | null): Date | null {
  return value === null ? null : new Date(value);
}

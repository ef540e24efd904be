import { timestampJsonSql } from 'src/common/database/timestamp-text';
import { decodeCursor } from 'src/common/http/pagination';

import type { WabaListQuery } from './waba.repository';
import { DETAIL_ALERTS_LIMIT, DETAIL_ALERTS_ORDER } from './waba-alert.repository';

// The SQL that writes the detail's answer as JSON (WabaRepository.detailJson). A list row is not shaped here: the
// trigger of migration waba_list_json keeps it in `wabas.list_json`, and the detail starts with that same text, so
// that the two spellings of a WABA row cannot drift apart. `w` is the `wabas` row.

/**
 * The detail's keys after the list row's (WabaDetailResponseDto.fromWaba's, in its order), for PostgreSQL to
 * shape and WabaRepository.detailJson to append to `wabas.list_json`; the alerts as WabaAlertResponseDto.fromView
 * writes them, ACTIVE first then newest.
 */
export const DETAIL_JSON = `w.currency AS "currency", w.timezone_id AS "timezoneId",
              w.account_review_status AS "accountReviewStatus",
              w.business_verification_status AS "businessVerificationStatus",
              w.owner_business_id AS "ownerBusinessId", w.health AS "health",
              json_build_object('metaStatus', w.mm_lite_meta_status, 'termsStatus', w.mm_lite_terms_status,
                'setupStartedAt', ${timestampJsonSql('w.mm_lite_setup_started_at')},
                'lastCheckedAt', ${timestampJsonSql('w.mm_lite_last_checked_at')}) AS "mmLite",
              w.webhooks_status AS "webhooks", w.webhooks_override_uri AS "webhooksOverrideUri",
              ${timestampJsonSql('w.webhooks_checked_at')} AS "webhooksCheckedAt",
              (SELECT coalesce(array_to_json(array_agg(json_build_object('type', a.alert_type, 'severity', a.severity,
                        'status', a.status, 'description', a.description, 'entityType', a.entity_type,
                        'entityId', a.entity_id, 'occurredAt', ${timestampJsonSql('a.occurred_at')})
                        ORDER BY ${DETAIL_ALERTS_ORDER})), '[]')
                 FROM (SELECT a.* FROM waba_alerts a WHERE a.waba_id = w.id
                        ORDER BY ${DETAIL_ALERTS_ORDER} LIMIT ${DETAIL_ALERTS_LIMIT}) a) AS "alerts",
              ${timestampJsonSql('w.created_at')} AS "createdAt", ${timestampJsonSql('w.updated_at')} AS "updatedAt"`;

/** The list's WHERE (organization first: raw SQL is not tenant filtered) and its parameters. */
export function listConditions(
  organizationId: string,
  query: WabaListQuery,
): { conditions: string; params: unknown[] } {
  const conditions: string[] = ['w.organization_id = ?'];
  const params: unknown[] = [organizationId];
  if (query.status) {
    conditions.push('w.status = ?');
    params.push(query.status);
  }
  if (query.mmLiteStatus === 'NOT_STARTED') {
    conditions.push('w.mm_lite_status IS NULL');
  } else if (query.mmLiteStatus) {
    conditions.push('w.mm_lite_status = ?');
    params.push(query.mmLiteStatus);
  }
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (match) => `\\${match}`)}%`;
    conditions.push('(w.name ILIKE ? OR w.waba_id LIKE ?)');
    params.push(pattern, pattern);
  }
  if (query.cursor) {
    const [afterWabaId] = decodeCursor(query.cursor, ['metaId']);
    conditions.push('w.waba_id > ?');
    params.push(afterWabaId);
  }
  return { conditions: conditions.join(' AND '), params };
}

/**
 * The WABA ID a page without a filter starts after (its cursor's, `''` on a first page, before every ID), or null
 * when the page filters (it runs alone, see {@link listConditions}).
 */
export function unfilteredListAfter(query: WabaListQuery): string | null {
  if (query.status || query.mmLiteStatus || query.q) {
    return null;
  }
  return query.cursor ? decodeCursor(query.cursor, ['metaId'])[0] : '';
}

// A batched read's rows: its organization's, after its cursor's WABA ID.
const READ_AFTER_CURSOR = 'w.organization_id = q.organization_id AND w.waba_id > q.after_waba_id';

/**
 * The WABA list pages without a filter of several requests in one statement (WabaRepository.listJson batches
 * them): per request, its organization's rows after its cursor's WABA ID (`''` on a first page) in WABA-ID order,
 * one index range scan each, answered as a filtered page's statement answers (see {@link filteredPageSql}).
 */
export const LIST_PAGES_SQL = `SELECT q.i::int AS i, x.data, x.more, x.last_waba_id
    FROM unnest(?::uuid[], ?::text[], ?::int[]) WITH ORDINALITY AS q(organization_id, after_waba_id, page_size, i)
    CROSS JOIN LATERAL (${pageSql('q.page_size', READ_AFTER_CURSOR, 'q.page_size + 1')}) x`;

/**
 * A filtered page alone, in the statement its filters call for (their indexes differ): parameters the page's
 * size three times, the conditions' parameters (see {@link listConditions}), then the size plus one.
 */
export function filteredPageSql(conditions: string): string {
  return pageSql('?', conditions, '?');
}

// One page of rows in WABA-ID order, one row more than its size read to tell whether a next page exists, as the
// rows' texts joined by commas (that row cut off), whether more follow, and the page's last WABA ID.
function pageSql(size: string, conditions: string, readLimit: string): string {
  return `SELECT array_to_string((array_agg(p.list_json ORDER BY p.waba_id))[1:${size}], ',') AS data,
                 count(*) > ${size} AS more,
                 (array_agg(p.waba_id ORDER BY p.waba_id))[${size}] AS last_waba_id
            FROM (SELECT w.waba_id, w.list_json
                    FROM wabas w
                   WHERE ${conditions}
                   ORDER BY w.waba_id
                   LIMIT ${readLimit}) p`;
}

/**
 * The detail answers of several requests in one statement (WabaRepository.detailJson batches them): per request,
 * its organization's WABA by Meta ID, if any: the list row's text with the detail's keys appended.
 */
export const DETAILS_SQL = `SELECT q.i::int AS i,
         left(w.list_json, -1) || ',' || substr((SELECT row_to_json(r) FROM (SELECT ${DETAIL_JSON}) r)::text, 2) AS body
    FROM unnest(?::uuid[], ?::text[]) WITH ORDINALITY AS q(organization_id, waba_id, i)
    JOIN wabas w ON w.organization_id = q.organization_id AND w.waba_id = q.waba_id`;

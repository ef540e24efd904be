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

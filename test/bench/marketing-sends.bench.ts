import type { Pool } from 'pg';

import {
  MARKETING_MESSAGE_COLUMNS,
  marketingCountsSql,
} from 'src/modules/mm-lite/sends/marketing-message-history.repository';

/** What {@link seedMarketingSends} stored. */
export interface MarketingSendSeed {
  sends: number;
  /** The number with a tenth of all sends (its 24 h window holds thousands). */
  hotPhoneNumberId: string;
  /** That number's WABA. */
  hotWabaId: string;
  seconds: number;
}

const HOT_PHONE_NUMBER_ID = '300000000000000';
const HOT_WABA_ID = '200000000000000';
/** Other numbers, one WABA each: the rest of the sends spread over them. */
const OTHER_NUMBERS = 5_000;
/** One of them, and its WABA. */
const TYPICAL_PHONE_NUMBER_ID = '300000000000007';
const TYPICAL_WABA_ID = '200000000000007';

/**
 * Stores `count` recorded marketing sends with bulk SQL, as the send and its status webhooks leave them:
 * spread over 35 days (so a 30-day retention has a few days to prune), a tenth on one hot number, the rest
 * over {@link OTHER_NUMBERS} numbers; mostly DELIVERED or READ, some FAILED with Meta's marketing codes, a
 * few still UNKNOWN. Times are whole milliseconds, as the service writes them. Also stores PAUSED and
 * OPTED_OUT holds (one per 100 sends), half of the pauses ended.
 */
export async function seedMarketingSends(
  pool: Pool,
  organizationId: string,
  count: number,
): Promise<MarketingSendSeed> {
  const startedAt = performance.now();
  await pool.query(
    `INSERT INTO marketing_messages
            (id, created_at, updated_at, organization_id, waba_id, phone_number_id, channel, template_name,
             template_language, template_category, recipient_type, recipient, recipient_country_calling_code,
             message_id, status, status_at, failure_code, failure_title, sent_by)
     SELECT gen_random_uuid(), t, t, $1::uuid,
            CASE WHEN i % 10 = 0 THEN $3 ELSE (200000000000001 + i % $4::int)::text END,
            CASE WHEN i % 10 = 0 THEN $2 ELSE (300000000000001 + i % $4::int)::text END,
            'MM_LITE', 'seasonal_sale_promo', 'en_US', 'MARKETING', 'PHONE_NUMBER',
            '+4477' || lpad((i % 100000000)::text, 8, '0'), '44',
            CASE WHEN s.status = 'UNKNOWN' THEN NULL ELSE 'wamid.bench' || i END,
            s.status::marketing_message_status,
            CASE WHEN s.status IN ('UNKNOWN', 'ACCEPTED') THEN NULL ELSE t + interval '5 seconds' END,
            CASE WHEN s.status = 'FAILED' THEN (ARRAY[131049, 131050, 131026, 130472])[1 + i % 4] END,
            CASE WHEN s.status = 'FAILED' THEN 'Failed at Meta' END,
            'api-key:bench'
       FROM generate_series(1, $5::int) AS i,
            LATERAL (SELECT date_trunc('milliseconds', now() - (i * (interval '35 days' / $5::int)))) AS c(t),
            LATERAL (SELECT (ARRAY['DELIVERED', 'READ', 'READ', 'DELIVERED', 'FAILED', 'SENT', 'DELIVERED', 'READ',
                                   'ACCEPTED', 'UNKNOWN'])[1 + (i / 10) % 10]) AS s(status)`,
    [organizationId, HOT_PHONE_NUMBER_ID, HOT_WABA_ID, OTHER_NUMBERS, count],
  );
  await pool.query(
    `INSERT INTO marketing_recipient_holds
            (waba_id, recipient, kind, organization_id, until, reason_code, observed_at, created_at, updated_at)
     SELECT (200000000000001 + i % $2::int)::text, '+4478' || lpad(i::text, 8, '0'),
            CASE WHEN i % 2 = 0 THEN 'PAUSED' ELSE 'OPTED_OUT' END::marketing_hold_kind, $1::uuid,
            CASE WHEN i % 2 = 0 THEN now() + ((i % 4 - 1.5) * interval '1 day') END,
            CASE WHEN i % 2 = 0 THEN 131049 ELSE 131050 END, now(), now(), now()
       FROM generate_series(1, $3::int) AS i`,
    [organizationId, OTHER_NUMBERS, Math.max(1, Math.floor(count / 100))],
  );
  await pool.query('ANALYZE marketing_messages, marketing_recipient_holds');
  return {
    sends: count,
    hotPhoneNumberId: HOT_PHONE_NUMBER_ID,
    hotWabaId: HOT_WABA_ID,
    seconds: (performance.now() - startedAt) / 1000,
  };
}

const LIST_COLUMNS = MARKETING_MESSAGE_COLUMNS;

/** The repository's counts statement over the window picked by `scope`, in the driver's `$n` placeholders. */
function countsText(scope: string): string {
  let index = 0;
  return marketingCountsSql(scope).replace(/\?/g, () => `$${++index}`);
}

/**
 * The reads and the retention of recorded sends as MarketingMessageHistoryRepository runs them, for EXPLAIN:
 * each must be one range scan of its index, never a scan of the table.
 */
export function marketingSendPlanStatements(
  organizationId: string,
  seed: Pick<MarketingSendSeed, 'hotPhoneNumberId' | 'hotWabaId'>,
): Array<{ name: string; text: string; values: unknown[]; index: string }> {
  // `index`: the index (a regular expression where the planner may rightly choose between two) it must use.
  const number = [organizationId, seed.hotPhoneNumberId];
  // The summaries' window (the last 24 h) and their count of failure codes, as the service binds them.
  const now = Date.now();
  const last24h = [new Date(now - 24 * 60 * 60_000).toISOString(), new Date(now).toISOString(), 5];
  return [
    {
      name: 'marketing sends of a number, first page',
      index: 'marketing_messages_number_list_index',
      text: `SELECT ${LIST_COLUMNS} FROM marketing_messages m
              WHERE m.organization_id = $1 AND m.phone_number_id = $2
              ORDER BY m.created_at DESC, m.id DESC LIMIT 51`,
      values: number,
    },
    {
      name: 'marketing sends of a number, a page ten days back (cursor)',
      index: 'marketing_messages_number_list_index',
      text: `SELECT ${LIST_COLUMNS} FROM marketing_messages m
              WHERE m.organization_id = $1 AND m.phone_number_id = $2
                AND (m.created_at, m.id) < (now() - interval '10 days', 'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid)
              ORDER BY m.created_at DESC, m.id DESC LIMIT 51`,
      values: number,
    },
    {
      name: 'marketing sends of a number, status FAILED since 7 days',
      index: 'marketing_messages_number_status_index',
      text: `SELECT ${LIST_COLUMNS} FROM marketing_messages m
              WHERE m.organization_id = $1 AND m.phone_number_id = $2 AND m.status = 'FAILED'
                AND m.created_at >= now() - interval '7 days'
              ORDER BY m.created_at DESC, m.id DESC LIMIT 51`,
      values: number,
    },
    {
      name: 'one marketing send',
      index: 'marketing_messages_pkey',
      text: `SELECT ${LIST_COLUMNS} FROM marketing_messages m
              WHERE m.id = (SELECT id FROM marketing_messages ORDER BY created_at DESC LIMIT 1) AND m.organization_id = $1`,
      values: [organizationId],
    },
    {
      name: 'marketing 24 h summary of a number',
      index: 'marketing_messages_number_list_index',
      text: countsText('m.organization_id = ? AND m.phone_number_id = ?'),
      values: [organizationId, TYPICAL_PHONE_NUMBER_ID, ...last24h],
    },
    {
      // A tenth of the window is this number's (and WABA's): the planner may read the whole window by time
      // instead, whose rows lie in heap order (sends are inserted in time order), rather than fetch the
      // number's scattered ones.
      name: 'marketing 24 h summary of the hot number',
      index: 'marketing_messages_(number_list|created)_index',
      text: countsText('m.organization_id = ? AND m.phone_number_id = ?'),
      values: [...number, ...last24h],
    },
    {
      name: 'marketing 24 h summary of a WABA',
      index: 'marketing_messages_waba_created_index',
      text: countsText('m.waba_id = ? AND m.organization_id = ?'),
      values: [TYPICAL_WABA_ID, organizationId, ...last24h],
    },
    {
      name: 'marketing 24 h summary of the hot WABA',
      index: 'marketing_messages_(waba_created|created)_index',
      text: countsText('m.waba_id = ? AND m.organization_id = ?'),
      values: [seed.hotWabaId, organizationId, ...last24h],
    },
    {
      name: 'marketing sends retention batch (30 days)',
      index: 'marketing_messages_created_index',
      text: `DELETE FROM marketing_messages WHERE id = ANY(ARRAY(
               SELECT id FROM marketing_messages WHERE created_at < now() - interval '30 days'
                ORDER BY created_at LIMIT 1000 FOR UPDATE SKIP LOCKED))
             RETURNING id`,
      values: [],
    },
    {
      name: 'ended marketing pauses retention batch',
      index: 'marketing_recipient_holds_paused_until_index',
      text: `DELETE FROM marketing_recipient_holds WHERE ctid = ANY(ARRAY(
               SELECT ctid FROM marketing_recipient_holds
                WHERE kind = 'PAUSED' AND until < now() ORDER BY until LIMIT 1000 FOR UPDATE SKIP LOCKED))
             RETURNING waba_id`,
      values: [],
    },
  ];
}

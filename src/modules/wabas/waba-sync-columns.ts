import { ColumnMap, type MappedColumn } from 'src/common/database/bulk-update';

import type { Waba } from './waba.entity';

/**
 * The columns a sync round reads of a WABA to apply what Meta said (waba-transitions' `applySnapshot`,
 * `applyTermsStatus`, `rederive`, `visibleState` and `holdsClaim` read nothing else), by property, with
 * whether the round's bulk statement may write them. The derived and audited columns (`status`,
 * `statusReason`, `mmLiteStatus`, `connection`) are not writable in bulk: a WABA whose visible state
 * changes goes through the named command path (WabaChanges), which audits it (Meta's MM Lite status alone
 * is audited only with a change of `mmLiteStatus`). Types are the columns' own (native enums included), as
 * WABA_CHANGE_COLUMNS writes them all.
 */
export const SYNC_COLUMNS = {
  name: { column: 'name', type: 'varchar(512)', kind: 'value', bulk: true },
  status: { column: 'status', type: 'waba_status', kind: 'value', bulk: false },
  statusReason: { column: 'status_reason', type: 'text', kind: 'value', bulk: false },
  mmLiteStatus: { column: 'mm_lite_status', type: 'mm_lite_status', kind: 'value', bulk: false },
  connection: { column: 'connection', type: 'waba_connection', kind: 'value', bulk: false },
  mmLiteMetaStatus: { column: 'mm_lite_meta_status', type: 'varchar(64)', kind: 'value', bulk: true },
  metaStatus: { column: 'meta_status', type: 'varchar(64)', kind: 'value', bulk: true },
  currency: { column: 'currency', type: 'varchar(8)', kind: 'value', bulk: true },
  timezoneId: { column: 'timezone_id', type: 'varchar(16)', kind: 'value', bulk: true },
  country: { column: 'country', type: 'varchar(8)', kind: 'value', bulk: true },
  accountReviewStatus: { column: 'account_review_status', type: 'varchar(32)', kind: 'value', bulk: true },
  businessVerificationStatus: {
    column: 'business_verification_status',
    type: 'varchar(64)',
    kind: 'value',
    bulk: true,
  },
  ownerBusinessId: { column: 'owner_business_id', type: 'varchar(32)', kind: 'value', bulk: true },
  ownerBusinessName: { column: 'owner_business_name', type: 'varchar(512)', kind: 'value', bulk: true },
  health: { column: 'health', type: 'jsonb', kind: 'json', bulk: true },
  healthWabaCanSend: { column: 'health_waba_can_send', type: 'varchar(16)', kind: 'value', bulk: true },
  banState: { column: 'ban_state', type: 'waba_ban_state', kind: 'value', bulk: false },
  restrictionExpiresAt: { column: 'restriction_expires_at', type: 'timestamptz', kind: 'date', bulk: false },
  disconnectedReason: { column: 'disconnected_reason', type: 'varchar(32)', kind: 'value', bulk: true },
  disconnectedAt: { column: 'disconnected_at', type: 'timestamptz', kind: 'date', bulk: true },
  disconnectionAt: { column: 'disconnection_at', type: 'timestamptz', kind: 'date', bulk: true },
  countryAt: { column: 'country_at', type: 'timestamptz', kind: 'date', bulk: true },
  accountReviewStatusAt: { column: 'account_review_status_at', type: 'timestamptz', kind: 'date', bulk: true },
  mmLiteTermsStatusAt: { column: 'mm_lite_terms_status_at', type: 'timestamptz', kind: 'date', bulk: true },
  snapshotAt: { column: 'snapshot_at', type: 'timestamptz', kind: 'date', bulk: true },
  mmLiteTermsStatus: { column: 'mm_lite_terms_status', type: 'varchar(32)', kind: 'value', bulk: true },
  mmLiteSetupStartedAt: { column: 'mm_lite_setup_started_at', type: 'timestamptz', kind: 'date', bulk: false },
  mmLiteLastCheckedAt: { column: 'mm_lite_last_checked_at', type: 'timestamptz', kind: 'date', bulk: true },
  lastSyncedAt: { column: 'last_synced_at', type: 'timestamptz', kind: 'date', bulk: true },
  nextSyncAt: { column: 'next_sync_at', type: 'timestamptz', kind: 'date', bulk: true },
  syncFailureCount: { column: 'sync_failure_count', type: 'int', kind: 'value', bulk: true },
  lastSyncErrorCode: { column: 'last_sync_error_code', type: 'varchar(32)', kind: 'value', bulk: true },
  syncClaimedBy: { column: 'sync_claimed_by', type: 'varchar(64)', kind: 'value', bulk: false },
  syncClaimToken: { column: 'sync_claim_token', type: 'uuid', kind: 'value', bulk: false },
} as const satisfies Partial<Record<keyof Waba, MappedColumn>>;

/** A property of {@link WabaSyncRow} read from the row. */
export type WabaSyncField = keyof typeof SYNC_COLUMNS;

/**
 * A WABA as a sync round reads it under its row lock: the fields what Meta said is applied to, not a
 * managed entity (no hydration, no identity map; written back by {@link WabaRepository.syncedFieldsWrite}).
 */
export type WabaSyncRow = Pick<Waba, WabaSyncField | 'id' | 'wabaId'> & { organizationId: string };

/** The select list, the row decoding and the bulk write of a sync round's WABA rows. */
export const WABA_SYNC_COLUMNS = new ColumnMap<WabaSyncField>(SYNC_COLUMNS);

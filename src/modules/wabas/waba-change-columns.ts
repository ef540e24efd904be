import { ColumnMap, type MappedColumn } from 'src/common/database/bulk-update';

import type { Waba } from './waba.entity';
import { SYNC_COLUMNS, type WabaSyncField } from './waba-sync-columns';

/**
 * Every column of a WABA that a command may change, by property: the sync's columns
 * ({@link SYNC_COLUMNS}) and the rest of the entity's, all written back in bulk. Left out: the sealed token
 * (lazy on the entity: never read without need), the keys and the creation time. `updated_at` is stamped by
 * the bulk write; `associated_numbers` is a trigger's and may be read, never written.
 */
const CHANGE_COLUMNS = {
  ...(Object.fromEntries(
    Object.entries(SYNC_COLUMNS).map(([field, column]) => [field, { ...column, bulk: true }]),
  ) as Record<WabaSyncField, MappedColumn>),
  banDate: { column: 'ban_date', type: 'varchar(64)', kind: 'value', bulk: true },
  restrictions: { column: 'restrictions', type: 'jsonb', kind: 'json', bulk: true },
  banStateAt: { column: 'ban_state_at', type: 'timestamptz', kind: 'date', bulk: true },
  connectionAt: { column: 'connection_at', type: 'timestamptz', kind: 'date', bulk: true },
  restrictionsAt: { column: 'restrictions_at', type: 'timestamptz', kind: 'date', bulk: true },
  criticalAlert: { column: 'critical_alert', type: 'varchar(64)', kind: 'value', bulk: true },
  accessTokenFingerprint: { column: 'access_token_fingerprint', type: 'varchar(64)', kind: 'value', bulk: true },
  accessTokenExpiresAt: { column: 'access_token_expires_at', type: 'timestamptz', kind: 'date', bulk: true },
  subscriptionStatus: {
    column: 'subscription_status',
    type: 'webhook_subscription_status',
    kind: 'value',
    bulk: true,
  },
  subscriptionError: { column: 'subscription_error', type: 'jsonb', kind: 'json', bulk: true },
  nextSubscriptionAttemptAt: {
    column: 'next_subscription_attempt_at',
    type: 'timestamptz',
    kind: 'date',
    bulk: true,
  },
  subscriptionAttempts: { column: 'subscription_attempts', type: 'int', kind: 'value', bulk: true },
  lastSignupCodeHash: { column: 'last_signup_code_hash', type: 'varchar(64)', kind: 'value', bulk: true },
  webhooksStatus: { column: 'webhooks_status', type: 'webhooks_status', kind: 'value', bulk: true },
  webhooksOverrideUri: { column: 'webhooks_override_uri', type: 'varchar(512)', kind: 'value', bulk: true },
  webhooksCheckedAt: { column: 'webhooks_checked_at', type: 'timestamptz', kind: 'date', bulk: true },
  webhooksNextCheckAt: { column: 'webhooks_next_check_at', type: 'timestamptz', kind: 'date', bulk: true },
  syncClaimExpiresAt: { column: 'sync_claim_expires_at', type: 'timestamptz', kind: 'date', bulk: true },
  syncHandledAt: { column: 'sync_handled_at', type: 'timestamptz', kind: 'date', bulk: true },
  associatedNumbers: { column: 'associated_numbers', type: 'int', kind: 'value', bulk: false },
  updatedAt: { column: 'updated_at', type: 'timestamptz', kind: 'date', bulk: false },
} as const satisfies Partial<Record<keyof Waba, MappedColumn>>;

/** A property of {@link WabaChangeRow} read from the row. */
export type WabaChangeField = keyof typeof CHANGE_COLUMNS;

/**
 * A WABA as a batch of changes reads it under its row lock (WabaRepository.lockForBatch): every field a
 * command reads or changes, with its organization as a reference, not a managed entity (no hydration, no
 * identity map, no change set; written back by WabaRepository.changedRowsWrite).
 */
export type WabaChangeRow = Pick<Waba, WabaChangeField | 'id' | 'wabaId'> & { organization: { id: string } };

/** The select list, the row decoding and the bulk write of a batch's WABA rows. */
export const WABA_CHANGE_COLUMNS = new ColumnMap<WabaChangeField>(CHANGE_COLUMNS);

import { randomUUID } from 'node:crypto';

import { LockMode } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';

import { type BulkColumn, bulkUpdate } from 'src/common/database/bulk-update';
import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from 'src/common/http/pagination';

import type { Waba } from './waba.entity';
import type { ClaimedWaba, RoundScope, SyncClaim, SyncClaimRequest } from './waba-sync.types';
import { type MmLiteStatus, WabaConnection, type WabaStatus, WebhookSubscriptionStatus } from './wabas.constants';

/** Filters of the WABA list. */
export interface WabaListQuery {
  status?: WabaStatus;
  /** `NOT_STARTED` selects the dash. */
  mmLiteStatus?: MmLiteStatus | 'NOT_STARTED';
  q?: string;
  limit?: number;
  cursor?: string;
}

/**
 * A list row: the columns of the guide plus the count of the WABA's numbers. Read-only: rows are not
 * managed entities (hydrating 50 entities per page cost 4× the framework's own time per request in the
 * benchmark).
 */
export type WabaListRow = Pick<
  Waba,
  'wabaId' | 'name' | 'status' | 'statusReason' | 'mmLiteStatus' | 'connection' | 'lastSyncedAt' | 'associatedNumbers'
>;

/**
 * The columns a sync round reads of a WABA to apply what Meta said (waba-transitions' `applySnapshot`,
 * `applyTermsStatus`, `rederive`, `visibleState` and `holdsClaim` read nothing else), by property, with
 * whether the round's bulk statement may write them. The derived and audited columns (`status`,
 * `statusReason`, `mmLiteStatus`, `connection`) are not writable in bulk: a WABA whose visible state
 * changes goes through the named command path (WabaChanges), which audits it (Meta's MM Lite status alone
 * is audited only with a change of `mmLiteStatus`).
 */
const SYNC_COLUMNS = {
  name: { column: 'name', type: 'varchar(512)', kind: 'value', bulk: true },
  status: { column: 'status', type: 'text', kind: 'value', bulk: false },
  statusReason: { column: 'status_reason', type: 'text', kind: 'value', bulk: false },
  mmLiteStatus: { column: 'mm_lite_status', type: 'text', kind: 'value', bulk: false },
  connection: { column: 'connection', type: 'text', kind: 'value', bulk: false },
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
  banState: { column: 'ban_state', type: 'text', kind: 'value', bulk: false },
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
  syncClaimedBy: { column: 'sync_claimed_by', type: 'text', kind: 'value', bulk: false },
  syncClaimToken: { column: 'sync_claim_token', type: 'text', kind: 'value', bulk: false },
} as const satisfies Partial<
  Record<keyof Waba, { column: string; type: string; kind: 'value' | 'date' | 'json'; bulk: boolean }>
>;

/** A property of {@link WabaSyncRow} read from the row. */
export type WabaSyncField = keyof typeof SYNC_COLUMNS;

/**
 * A WABA as a sync round reads it under its row lock: the fields what Meta said is applied to, not a
 * managed entity (no hydration, no identity map; written back by {@link WabaRepository.writeSyncedFields}).
 */
export type WabaSyncRow = Pick<Waba, WabaSyncField | 'id' | 'wabaId'> & { organizationId: string };

const SYNC_FIELDS = Object.keys(SYNC_COLUMNS) as WabaSyncField[];
const BULK_COLUMNS: BulkColumn[] = SYNC_FIELDS.filter((field) => SYNC_COLUMNS[field].bulk).map((field) => ({
  column: SYNC_COLUMNS[field].column,
  type: SYNC_COLUMNS[field].type,
}));

/**
 * The queries on `wabas` beyond the unit of work: the list page, the retry job's and the rounds' claims.
 * Every method runs in the caller's transaction when there is one (the EntityManager resolves to it). Raw
 * SQL is not tenant filtered: the list names its organization first, the claims work across organizations
 * by design.
 */
export class WabaRepository extends EntityRepository<Waba> {
  /** One page of the organization's WABAs ordered by WABA ID: one SQL statement per page whatever its size. */
  async list(organizationId: string, query: WabaListQuery): Promise<Page<WabaListRow>> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    // Raw SQL is not covered by the tenant filter: this condition is the only scope, keep it first.
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
    params.push(limit + 1);
    const rows = await this.sql<{
      waba_id: string;
      name: string | null;
      status: WabaStatus;
      status_reason: string | null;
      mm_lite_status: MmLiteStatus | null;
      connection: WabaConnection;
      last_synced_at: Date | string | null;
      associated_numbers: number;
    }>(
      `SELECT w.waba_id, w.name, w.status, w.status_reason, w.mm_lite_status, w.connection, w.last_synced_at,
              w.associated_numbers
         FROM wabas w
        WHERE ${conditions.join(' AND ')}
        ORDER BY w.waba_id
        LIMIT ?`,
      params,
    );
    const page: WabaListRow[] = rows.slice(0, limit).map((row) => ({
      wabaId: row.waba_id,
      name: row.name,
      status: row.status,
      statusReason: row.status_reason,
      mmLiteStatus: row.mm_lite_status,
      connection: row.connection,
      lastSyncedAt: row.last_synced_at === null ? null : new Date(row.last_synced_at),
      associatedNumbers: Number(row.associated_numbers),
    }));
    const last = page[page.length - 1];
    return { data: page, nextCursor: rows.length > limit && last ? encodeCursor([last.wabaId]) : null };
  }

  /** Any organization's WABA by Meta ID, locked as asked (inside the caller's transaction); null when unknown. */
  async findAcrossTenants(wabaId: string, lockMode?: LockMode): Promise<Waba | null> {
    // Across tenants: webhooks, the sync and signup know only Meta's ID; API callers checked ownership first.
    return this.findOne({ wabaId }, { ...ACROSS_TENANTS, ...(lockMode ? { lockMode } : {}) });
  }

  /** Locks these WABAs FOR UPDATE in WABA-ID order, so that concurrent batches cannot deadlock. */
  async lockForChange(wabaIds: string[]): Promise<Waba[]> {
    return this.find(
      { wabaId: { $in: wabaIds } },
      // Across tenants: callers (webhooks, sync) come by Meta ID, and API callers checked ownership first.
      { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { wabaId: 'asc' } },
    );
  }

  /**
   * Locks these WABAs FOR UPDATE in WABA-ID order (as {@link lockForChange} does, inside the caller's
   * transaction) and reads the fields a sync applies to, as plain rows.
   */
  async lockForSync(wabaIds: string[]): Promise<WabaSyncRow[]> {
    if (wabaIds.length === 0) {
      return [];
    }
    // Times as whole epoch milliseconds (extract is exact numeric): a JS Date's precision, as the driver reads them.
    const columns = SYNC_FIELDS.map((field) => {
      const { column, kind } = SYNC_COLUMNS[field];
      return kind === 'date'
        ? `floor(extract(epoch FROM ${column}) * 1000)::int8 AS "${field}"`
        : `${column} AS "${field}"`;
    });
    // Raw SQL, across tenants: the sync comes by Meta ID (the round's claims span every organization).
    const rows = await this.sql<Record<string, unknown>>(
      `SELECT id, organization_id, waba_id, ${columns.join(', ')}
         FROM wabas
        WHERE waba_id IN (?)
        ORDER BY waba_id
          FOR UPDATE`,
      [wabaIds],
    );
    return rows.map((row) => {
      const waba: Record<string, unknown> = {
        id: row.id,
        organizationId: row.organization_id,
        wabaId: row.waba_id,
      };
      for (const field of SYNC_FIELDS) {
        const value = row[field];
        waba[field] = value !== null && SYNC_COLUMNS[field].kind === 'date' ? new Date(Number(value)) : value;
      }
      return waba as WabaSyncRow;
    });
  }

  /**
   * Writes, with one statement, the fields of locked WABAs ({@link lockForSync}) that a sync changed; only
   * the columns that differ from what was read, and only those the round may write in bulk (it throws for
   * any other: such a WABA goes through the command path).
   */
  async writeSyncedFields(changes: Array<{ id: string; fields: Partial<WabaSyncRow> }>): Promise<void> {
    const rows = changes
      .map(({ id, fields }) => ({
        id,
        changes: Object.fromEntries(
          Object.entries(fields).map(([field, value]) => [SYNC_COLUMNS[field as WabaSyncField].column, value]),
        ),
      }))
      .filter((row) => Object.keys(row.changes).length > 0);
    if (rows.length === 0) {
      return;
    }
    const { sql, params } = bulkUpdate('wabas', BULK_COLUMNS, rows);
    await this.sql(sql, params);
  }

  /**
   * Whether {@link writeSyncedFields} may write a field: not the derived and audited columns, nor the ones a
   * sync never changes.
   */
  static writableInBulk(this: void, field: WabaSyncField): boolean {
    return SYNC_COLUMNS[field].bulk;
  }

  /** The {@link WabaSyncField}s of a WABA as read (for {@link writeSyncedFields}' comparison). */
  static syncFields(): readonly WabaSyncField[] {
    return SYNC_FIELDS;
  }

  /**
   * Claims (FOR UPDATE SKIP LOCKED, inside the caller's transaction) one WABA whose webhook subscription
   * step is due by `now`, with its token loaded, and holds it until `leaseUntil`; null when none is due.
   */
  async claimDueSubscription(now: Date, leaseUntil: Date): Promise<Waba | null> {
    const [waba] = await this.find(
      {
        subscriptionStatus: { $ne: WebhookSubscriptionStatus.SUBSCRIBED },
        nextSubscriptionAttemptAt: { $lte: now },
        connection: WabaConnection.CONNECTED,
      },
      {
        // Across tenants: the retry job serves every organization's due WABAs.
        ...ACROSS_TENANTS,
        populate: ['accessTokenSealed'],
        limit: 1,
        orderBy: { nextSubscriptionAttemptAt: 'asc' },
        lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE,
      },
    );
    if (waba) {
      waba.nextSubscriptionAttemptAt = leaseUntil;
    }
    return waba ?? null;
  }

  /** The database's clock now, as text (microseconds kept) for {@link RoundScope} `full`. */
  async databaseNow(): Promise<string> {
    const [row] = await this.sql<{ now: string }>('SELECT now()::text AS now', []);
    return row.now;
  }

  /**
   * Claims up to `limit` of the scope's unclaimed, connected WABAs for `owner` under a fresh token, until
   * `leaseMs` from now. `byToken` orders the batch by token fingerprint, so WABAs sharing a business token
   * land together. A full round walks the same order: a WABA it has read moves (mostly) an interval ahead,
   * behind the ones still to read, which so stay at the front of the `next_sync_at` index.
   */
  async claimForSyncRound(scope: RoundScope, request: SyncClaimRequest): Promise<ClaimedWaba[]> {
    const { owner, leaseMs, byToken, limit } = request;
    const claim: SyncClaim = { owner, token: randomUUID() };
    const ordering = byToken ? 'access_token_fingerprint, next_sync_at, id' : 'next_sync_at, id';
    const [eligible, bound] =
      scope.kind === 'due'
        ? ['next_sync_at <= ?', scope.cutoff]
        : ['(sync_handled_at IS NULL OR sync_handled_at < CAST(? AS timestamptz))', scope.startedAt];
    const rows = await this.sql<{
      waba_id: string;
      owner_business_id: string | null;
      access_token_fingerprint: string;
      access_token_sealed: string;
    }>(
      `UPDATE wabas
          SET sync_claimed_by = ?, sync_claim_token = ?, sync_claim_expires_at = now() + (? * interval '1 millisecond')
        WHERE id IN (
              SELECT id FROM wabas
               WHERE connection = ?
                 AND ${eligible}
                 AND (sync_claim_expires_at IS NULL OR sync_claim_expires_at < now())
               ORDER BY ${ordering}
               LIMIT ?
                 FOR UPDATE SKIP LOCKED)
    RETURNING waba_id, owner_business_id, access_token_fingerprint, access_token_sealed`,
      [claim.owner, claim.token, leaseMs, WabaConnection.CONNECTED, bound, limit],
    );
    return rows.map((row) => ({
      wabaId: row.waba_id,
      ownerBusinessId: row.owner_business_id,
      fingerprint: row.access_token_fingerprint,
      sealedToken: row.access_token_sealed,
      claim,
    }));
  }

  /**
   * Extends to `leaseMs` from now the claims of `owner` under these tokens that still stand; returns the
   * WABAs renewed. A claim that was taken over carries another token and is left alone.
   */
  async renewSyncClaims(owner: string, tokens: string[], leaseMs: number): Promise<string[]> {
    if (tokens.length === 0) {
      return [];
    }
    const rows = await this.sql<{ waba_id: string }>(
      `UPDATE wabas SET sync_claim_expires_at = now() + (? * interval '1 millisecond')
        WHERE sync_claimed_by = ? AND sync_claim_token IN (?)
    RETURNING waba_id`,
      [leaseMs, owner, tokens],
    );
    return rows.map((row) => row.waba_id);
  }

  /**
   * Ends the claim on WABAs whose outcome is recorded and stamps them handled, so that no full round running
   * since before now reads them again; only where the claim still stands, so that an instance that lost it
   * neither frees nor stamps a WABA another instance is reading.
   */
  async releaseSyncClaims(claim: SyncClaim, wabaIds: string[]): Promise<void> {
    if (wabaIds.length === 0) {
      return;
    }
    await this.sql(
      `UPDATE wabas
          SET sync_claimed_by = NULL, sync_claim_token = NULL, sync_claim_expires_at = NULL, sync_handled_at = now()
        WHERE waba_id IN (?) AND sync_claimed_by = ? AND sync_claim_token = ?`,
      [wabaIds, claim.owner, claim.token],
    );
  }

  private sql<T>(query: string, params: unknown[]): Promise<T[]> {
    return this.getEntityManager().execute<T[]>(query, params, 'all');
  }
}

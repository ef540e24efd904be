import { randomUUID } from 'node:crypto';

import { LockMode } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';

import { BatchedRead } from 'src/common/database/batched-read';
import { type BoundWrite, boundRows, preparedRead, preparedRows } from 'src/common/database/bound-sql';
import { bulkUpdate, changedValues, type ColumnMap } from 'src/common/database/bulk-update';
import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import type { JsonText } from 'src/common/http/json-answer';
import { DEFAULT_PAGE_SIZE, encodeCursor } from 'src/common/http/pagination';

import type { Waba } from './waba.entity';
import { DETAILS_SQL, filteredPageSql, LIST_PAGES_SQL, listConditions, unfilteredListAfter } from './waba-answer-sql';
import { WABA_CHANGE_COLUMNS, type WabaChangeField, type WabaChangeRow } from './waba-change-columns';
import { WABA_SYNC_COLUMNS, type WabaSyncField, type WabaSyncRow } from './waba-sync-columns';
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

/** The columns of a list row (the guide's), which the detail shows too, but the time of the last sync. */
type WabaRowColumns = Pick<
  Waba,
  'wabaId' | 'name' | 'status' | 'statusReason' | 'mmLiteStatus' | 'connection' | 'associatedNumbers' | 'criticalAlert'
>;

/**
 * What the detail's answer shows of a WABA: the list row's columns plus Meta's fields, health and MM Lite state,
 * as WabaDetailResponseDto.fromWaba reads them off the entity for the connect's and the sync's answers
 * (`GET /wabas/{id}` has PostgreSQL write the same shape, see {@link WabaRepository.detailJson}).
 */
export type WabaDetailRow = WabaRowColumns & {
  lastSyncedAt: Date | null;
} & Pick<
    Waba,
    | 'currency'
    | 'timezoneId'
    | 'accountReviewStatus'
    | 'businessVerificationStatus'
    | 'ownerBusinessId'
    | 'health'
    | 'mmLiteMetaStatus'
    | 'mmLiteTermsStatus'
    | 'mmLiteSetupStartedAt'
    | 'mmLiteLastCheckedAt'
    | 'webhooksStatus'
    | 'webhooksOverrideUri'
    | 'webhooksCheckedAt'
    | 'createdAt'
    | 'updatedAt'
  >;

/**
 * Ends a round's claim on a row and stamps it handled with the database's clock (a full round compares
 * `sync_handled_at` with its own start, read from the same clock).
 */
const RELEASE_SYNC_CLAIM =
  'sync_claimed_by = NULL, sync_claim_token = NULL, sync_claim_expires_at = NULL, sync_handled_at = now()';

/** A list page's statement answer: its rows' texts joined by commas, whether more follow, the page's last WABA ID. */
interface ListPageRow {
  data: string | null;
  more: boolean;
  last_waba_id: string | null;
}

// Pages without a filter and details are most of the API's reads: concurrent requests share a statement.
const LIST_PAGES = new BatchedRead<{ organizationId: string; afterWabaId: string; limit: number }, ListPageRow>({
  sql: LIST_PAGES_SQL,
  columns: (reads) => [
    reads.map((read) => read.organizationId),
    reads.map((read) => read.afterWabaId),
    reads.map((read) => read.limit),
  ],
  maxBatch: 32,
  maxInFlight: 2,
});
const DETAILS = new BatchedRead<{ organizationId: string; wabaId: string }, { body: string }>({
  sql: DETAILS_SQL,
  columns: (reads) => [reads.map((read) => read.organizationId), reads.map((read) => read.wabaId)],
  maxBatch: 32,
  maxInFlight: 2,
});

/**
 * The queries on `wabas` beyond the unit of work: the list page, the retry job's and the rounds' claims.
 * Every method runs in the caller's transaction when there is one (the EntityManager resolves to it). Raw
 * SQL is not tenant filtered: the list names its organization first, the claims work across organizations
 * by design.
 */
export class WabaRepository extends EntityRepository<Waba> {
  /**
   * One page of the organization's WABAs ordered by WABA ID, as the JSON text of the answer
   * (`{"data":[…],"nextCursor":…}`, in pieces: the rows between the envelope's halves), read in one prepared
   * statement whatever the page's size: each row's text is read from `wabas.list_json`, which a trigger writes when
   * a shown column changes (migration waba_list_json), and the service only passes the bytes on. Shaping the rows
   * per request, in the service or in PostgreSQL, was most of a list request's CPU on a machine whose cores the
   * service and PostgreSQL share. Concurrent requests' pages without a filter share their statement (`LIST_PAGES`).
   */
  async listJson(organizationId: string, query: WabaListQuery): Promise<JsonText> {
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const afterWabaId = unfilteredListAfter(query);
    const row =
      afterWabaId === null
        ? await this.filteredPage(organizationId, query, limit)
        : await LIST_PAGES.read(this.getEntityManager(), { organizationId, afterWabaId, limit });
    const more = row?.more === true && row.last_waba_id !== null;
    const nextCursor = more ? `"${encodeCursor([row.last_waba_id as string])}"` : 'null';
    return ['{"data":[', row?.data ?? '', `],"nextCursor":${nextCursor}}`];
  }

  private async filteredPage(organizationId: string, query: WabaListQuery, limit: number): Promise<ListPageRow> {
    const { conditions, params } = listConditions(organizationId, query);
    const [row] = await preparedRead<ListPageRow>(this.getEntityManager(), filteredPageSql(conditions), [
      limit,
      limit,
      limit,
      ...params,
      limit + 1,
    ]);
    return row;
  }

  /**
   * The organization's WABA as `GET /wabas/{id}` answers it, as JSON text shaped by PostgreSQL in one prepared
   * statement (as {@link listJson}, for the same reason); null when unknown or another organization's. The
   * shape is WabaDetailResponseDto.fromWaba's, which the answers of the connect and the sync still build.
   */
  async detailJson(organizationId: string, wabaId: string): Promise<string | null> {
    // Raw SQL is not covered by the tenant filter: each read's organization condition is its scope.
    const row = await DETAILS.read(this.getEntityManager(), { organizationId, wabaId });
    return row?.body ?? null;
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
    // The sync comes by Meta ID (the round's claims span every organization).
    return (await this.lockRows(wabaIds, WABA_SYNC_COLUMNS)) as unknown as WabaSyncRow[];
  }

  /**
   * Locks these WABAs FOR UPDATE in WABA-ID order (as {@link lockForChange} does, inside the caller's
   * transaction) and reads every field a command may change, as plain rows: a batch of webhook changes
   * applies the commands' transitions to them and writes them back with {@link changedRowsWrite}.
   */
  async lockForBatch(wabaIds: string[]): Promise<WabaChangeRow[]> {
    // Webhooks come by Meta ID; each row carries its organization as the entity's reference would.
    const rows = await this.lockRows(wabaIds, WABA_CHANGE_COLUMNS);
    return rows.map(
      ({ organizationId, ...row }) => ({ ...row, organization: { id: organizationId } }) as WabaChangeRow,
    );
  }

  /**
   * The one statement that writes what commands changed on WABAs read by {@link lockForBatch}, for the
   * caller to run in its transaction (null when nothing changed): per row, only the columns that differ
   * from what was read. A change of a field the batch does not write (the token, the numbers' count) throws:
   * nothing of such a batch may be kept.
   */
  changedRowsWrite(rows: ReadonlyArray<{ read: WabaChangeRow; now: WabaChangeRow }>): BoundWrite | null {
    const changes = rows.map(({ read, now }) => {
      const extra = Object.keys(now).find((key) => !(key in read));
      if (extra !== undefined) {
        throw new Error(`WABA ${read.wabaId}: ${extra} cannot be written by a batch`);
      }
      return {
        id: read.id,
        fields: changedValues<WabaChangeRow, WabaChangeField>(read, now, WABA_CHANGE_COLUMNS.fields),
      };
    });
    const bulkRows = WABA_CHANGE_COLUMNS.bulkRows(changes);
    return bulkRows.length > 0 ? bulkUpdate('wabas', WABA_CHANGE_COLUMNS.bulkColumns, bulkRows) : null;
  }

  /**
   * The one statement that writes the fields of locked WABAs ({@link lockForSync}) that a sync changed, for
   * the caller to run in its transaction (null when there is nothing to write); only the columns that differ
   * from what was read, and only those the round may write in bulk (it throws for any other: such a WABA
   * goes through the command path). `release` also ends the round's claim on them and stamps them handled
   * (as {@link releaseSyncClaims}): the caller checked under the lock that its claim stands.
   */
  syncedFieldsWrite(
    changes: Array<{ id: string; fields: Partial<WabaSyncRow> }>,
    { release = false }: { release?: boolean } = {},
  ): BoundWrite | null {
    const rows = WABA_SYNC_COLUMNS.bulkRows(changes, release);
    if (rows.length === 0) {
      return null;
    }
    return bulkUpdate('wabas', WABA_SYNC_COLUMNS.bulkColumns, rows, release ? RELEASE_SYNC_CLAIM : undefined);
  }

  /**
   * Whether {@link syncedFieldsWrite} may write a field: not the derived and audited columns, nor the ones a
   * sync never changes.
   */
  static writableInBulk(this: void, field: WabaSyncField): boolean {
    return WABA_SYNC_COLUMNS.writableInBulk(field);
  }

  /** The {@link WabaSyncField}s of a WABA as read (for {@link syncedFieldsWrite}' comparison). */
  static syncFields(): readonly WabaSyncField[] {
    return WABA_SYNC_COLUMNS.fields;
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
   * behind the ones still to read, which so stay at the front of the `next_sync_at` index. That index gives
   * the order as it is, so a claim reads its batch's rows and stops; ties are left in the index's order (a
   * tie-break on `id` made every claim sort all the due WABAs, which often share one `next_sync_at`: those a
   * chunk applied, or a whole fleet made due together). Returns each WABA's row ID too, by which the round
   * reads its numbers and templates.
   */
  async claimForSyncRound(scope: RoundScope, request: SyncClaimRequest): Promise<ClaimedWaba[]> {
    const { owner, leaseMs, byToken, limit } = request;
    const claim: SyncClaim = { owner, token: randomUUID() };
    const ordering = byToken ? 'access_token_fingerprint, next_sync_at, id' : 'next_sync_at';
    const [eligible, bound] =
      scope.kind === 'due'
        ? ['next_sync_at <= ?', scope.cutoff]
        : ['(sync_handled_at IS NULL OR sync_handled_at < CAST(? AS timestamptz))', scope.startedAt];
    const rows = await this.sql<{
      id: string;
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
    RETURNING id, waba_id, owner_business_id, access_token_fingerprint, access_token_sealed`,
      [claim.owner, claim.token, leaseMs, WabaConnection.CONNECTED, bound, limit],
    );
    return rows.map((row) => ({
      rowId: row.id,
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
    // The rows are locked in WABA-ID order, as every other lock on several WABAs is taken: the renewal spans
    // the chunks being applied, and an UPDATE locking in scan order could deadlock with them.
    const rows = await this.sql<{ waba_id: string }>(
      `UPDATE wabas SET sync_claim_expires_at = now() + (? * interval '1 millisecond')
        WHERE id IN (
              SELECT id FROM wabas
               WHERE sync_claimed_by = ? AND sync_claim_token = ANY(?)
               ORDER BY waba_id
                 FOR UPDATE)
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
    // Locked in WABA-ID order, like the renewal that may run at the same time over the same rows.
    await this.sql(
      `UPDATE wabas
          SET ${RELEASE_SYNC_CLAIM}
        WHERE id IN (
              SELECT id FROM wabas
               WHERE waba_id = ANY(?) AND sync_claimed_by = ? AND sync_claim_token = ?
               ORDER BY waba_id
                 FOR UPDATE)`,
      [wabaIds, claim.owner, claim.token],
    );
  }

  /** These WABAs' mapped fields, locked FOR UPDATE in WABA-ID order, as plain rows (none for no IDs). */
  private async lockRows<F extends string>(
    wabaIds: string[],
    columns: ColumnMap<F>,
  ): Promise<Array<Record<F, unknown> & { id: string; organizationId: string; wabaId: string }>> {
    if (wabaIds.length === 0) {
      return [];
    }
    // Raw SQL, across tenants: callers come by Meta ID, and API callers checked ownership first. Prepared: a
    // round locks every chunk with the same text.
    const rows = await preparedRows<Record<string, unknown>>(
      this.getEntityManager(),
      `SELECT id, organization_id AS "organizationId", waba_id AS "wabaId", ${columns.select()}
         FROM wabas
        WHERE waba_id = ANY(?)
        ORDER BY waba_id
          FOR UPDATE`,
      [wabaIds],
    );
    // The driver's rows themselves, already named as the fields: no copy of dozens of columns per WABA.
    return rows.map((row) =>
      columns.decode(row as Record<string, unknown> & { id: string; organizationId: string; wabaId: string }),
    );
  }

  private sql<T>(query: string, params: unknown[]): Promise<T[]> {
    return boundRows<T>(this.getEntityManager(), query, params);
  }
}

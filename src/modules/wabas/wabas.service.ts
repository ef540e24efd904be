import { createHash } from 'node:crypto';

import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import type { DomainEvent } from 'src/common/events/domain-event';
import { DomainEventBus } from 'src/common/events/domain-event-bus';
import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, type Page } from 'src/common/http/pagination';
import { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { AuditService } from 'src/modules/audit/audit.service';
import type { WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { Organization } from 'src/modules/organizations/organization.entity';

import { ConnectionChangedEvent } from './events/connection-changed.event';
import { MmLiteStatusChangedEvent } from './events/mm-lite-status-changed.event';
import { WabaConnectedEvent } from './events/waba-connected.event';
import { WabaStatusChangedEvent } from './events/waba-status-changed.event';
import { isStale, observeFact, recordObservation } from './waba-facts';
import { deriveMmLiteStatus, deriveWabaStatus } from './waba-status';
import { Waba } from './waba.entity';
import {
  type MmLiteStatus,
  ReconnectionEvidence,
  ReconnectionOutcome,
  WabaConnection,
  WabaDisconnection,
  WabaStatus,
  WebhookSubscriptionStatus,
} from './wabas.constants';
import type { ChangeContext } from 'src/modules/audit/change-context';

/** The disconnections each kind of reconnection evidence undoes (see {@link ReconnectionEvidence}). */
const UNDONE_BY: Record<ReconnectionEvidence, ReadonlySet<string>> = {
  [ReconnectionEvidence.SIGNUP]: new Set(Object.values(WabaDisconnection)),
  [ReconnectionEvidence.SHARED]: new Set([WabaDisconnection.PARTNER_REMOVED, WabaDisconnection.ACCOUNT_DELETED]),
  [ReconnectionEvidence.ACCOUNT_RECONNECTED]: new Set([WabaDisconnection.ACCOUNT_OFFBOARDED]),
};

/**
 * The fields of a read dated together as the `snapshot` fact ({@link applySnapshot}): a read that carries
 * none of them (a partial answer) says nothing about them and leaves the fact's time alone.
 */
const SNAPSHOT_FACT_FIELDS = [
  'name',
  'status',
  'currency',
  'timezoneId',
  'businessVerificationStatus',
  'ownerBusinessId',
  'ownerBusinessName',
  'healthStatus',
  'marketingMessagesOnboardingStatus',
] as const satisfies ReadonlyArray<keyof WabaSnapshot>;

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
 * A list row: the columns of the guide plus the count of connected numbers, computed in the same query.
 * Read-only: rows are not managed entities (hydrating 50 entities per page cost 4× the framework's own
 * time per request in the benchmark).
 */
export type WabaListRow = Pick<
  Waba,
  'wabaId' | 'name' | 'status' | 'statusReason' | 'mmLiteStatus' | 'connection' | 'lastSyncedAt'
> & { associatedNumbers: number };

type WabaVisibleState = Pick<Waba, 'status' | 'statusReason' | 'mmLiteStatus' | 'connection' | 'mmLiteMetaStatus'>;

/**
 * Work another module must commit together with a change that leaves a WABA DISABLED (its numbers leave MM
 * Lite): runs inside the change's transaction, after the WABA row is locked, and returns the events to
 * publish after commit. It runs on every applied change of a DISABLED WABA, not only on the transition, so
 * it must be idempotent; that also repairs what a crash left behind under older code.
 */
export type WabaDisabledHook = (em: EntityManager, waba: Waba, context: ChangeContext) => Promise<DomainEvent[]>;

/**
 * WABAs: reads scoped to an organization, the list of the guide, and the one mechanism through which
 * every source (API, webhook, sync) changes a WABA: {@link applyChange} re-derives the status and the MM
 * Lite column, writes the audit records in the same transaction, and publishes events after commit.
 */
@Injectable()
export class WabasService {
  private readonly disabledHooks: WabaDisabledHook[] = [];

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly events: DomainEventBus,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Registers a {@link WabaDisabledHook}. The owners of rows a disable affects register at module init
   * (PhoneNumbersService: MM_LITE numbers back to CLOUD_API), since this module cannot depend on theirs;
   * the rule then holds in the same commit as the status, with no event listener to miss.
   */
  whenDisabledIn(hook: WabaDisabledHook): void {
    this.disabledHooks.push(hook);
  }

  /** The WABA if it belongs to the organization; another organization's WABA is a 404 like a missing one. */
  async getForOrganization(organizationId: string, wabaId: string): Promise<Waba> {
    // The explicit condition doubles the request's tenant filter (defence in depth).
    const waba = await this.em.findOne(Waba, { wabaId, organization: organizationId });
    if (!waba) {
      throw new NotFoundDomainException('WABA', wabaId);
    }
    return waba;
  }

  /** Any organization's WABA by Meta ID (webhooks, sync); null when unknown. */
  async findByWabaId(wabaId: string): Promise<Waba | null> {
    // Across tenants: a webhook or the sync knows only Meta's ID; the WABA tells which organization it is.
    return this.em.findOne(Waba, { wabaId }, { ...ACROSS_TENANTS });
  }

  /** Any organization's WABA by Meta ID within the caller's transaction (signup's ownership check). */
  async findByWabaIdIn(em: EntityManager, wabaId: string): Promise<Waba | null> {
    // Across tenants: a WABA belongs to at most one organization, so signup must see another's to refuse it.
    return em.findOne(Waba, { wabaId }, { ...ACROSS_TENANTS });
  }

  /**
   * Reads a WABA by Meta ID inside the caller's transaction and locks it FOR SHARE: its status cannot change
   * (a disable takes FOR UPDATE) until that transaction ends, while other readers may share the lock. Take it
   * before any lock on the WABA's numbers, the order {@link applyChangesIn} and its hooks use. Null when unknown.
   */
  async lockForShareIn(em: EntityManager, wabaId: string): Promise<Waba | null> {
    // Across tenants: callers checked ownership first, as for applyChange.
    return em.findOne(Waba, { wabaId }, { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_READ });
  }

  /**
   * Claims (FOR UPDATE SKIP LOCKED, inside the caller's transaction) one WABA whose webhook subscription
   * step is due for a retry, with its token loaded; null when none is due.
   */
  async claimDueSubscription(em: EntityManager, now: Date): Promise<Waba | null> {
    const [waba] = await em.find(
      Waba,
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
    return waba ?? null;
  }

  /** Number of this WABA's connected phone numbers. */
  async countNumbers(waba: Waba): Promise<number> {
    // Raw SQL (not filtered): scoped by the WABA the caller already holds.
    const rows: Array<{ count: string }> = await this.em
      .getConnection()
      .execute('SELECT count(*)::int AS count FROM phone_numbers WHERE waba_id = ?', [waba.id]);
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * One page of the organization's WABAs ordered by WABA ID, with `associatedNumbers` counted by a
   * correlated subquery on the (waba_id) index: one SQL statement per page whatever its size.
   */
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
    const rows: Array<{
      waba_id: string;
      name: string | null;
      status: WabaStatus;
      status_reason: string | null;
      mm_lite_status: MmLiteStatus | null;
      connection: WabaConnection;
      last_synced_at: Date | string | null;
      associated_numbers: number;
    }> = await this.em.getConnection().execute(
      `SELECT w.waba_id, w.name, w.status, w.status_reason, w.mm_lite_status, w.connection, w.last_synced_at,
              (SELECT count(*) FROM phone_numbers p WHERE p.waba_id = w.id)::int AS associated_numbers
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

  /**
   * Applies a change to one WABA under a row lock, whatever its source: runs `mutate`, re-derives
   * `status`/`statusReason`/`mmLiteStatus`, records an audit event per visible change in the same
   * transaction, and publishes the matching domain events after commit. Returns null when the WABA is
   * unknown. `mutate` may return false to say "nothing to do" (the transaction then writes nothing).
   */
  async applyChange(
    wabaId: string,
    context: ChangeContext,
    mutate: (waba: Waba, em: EntityManager) => boolean | void | Promise<boolean | void>,
  ): Promise<Waba | null> {
    const [waba] = await this.inTransaction((em) => this.applyChangesIn(em, [wabaId], context, mutate));
    return waba ?? null;
  }

  /**
   * {@link applyChange} for many WABAs inside the caller's transaction (the re-sync applies a whole
   * multi-ID chunk at once): locks the rows in WABA-ID order, so concurrent batches cannot deadlock, and
   * returns the changed WABAs with the events to publish once the transaction has committed. A changed WABA
   * that is DISABLED runs the {@link WabaDisabledHook}s in the same transaction, after all the WABA locks
   * (lock order: WABAs, then their numbers).
   */
  async applyChangesIn(
    em: EntityManager,
    wabaIds: string[],
    context: ChangeContext,
    mutate: (waba: Waba, em: EntityManager) => boolean | void | Promise<boolean | void>,
  ): Promise<{ result: Waba[]; events: DomainEvent[] }> {
    await context.fence?.(em);
    const locked = await em.find(
      Waba,
      { wabaId: { $in: wabaIds } },
      // Across tenants: callers (webhooks, sync) come by Meta ID, and API callers checked ownership first.
      { ...ACROSS_TENANTS, lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { wabaId: 'asc' } },
    );
    const events: DomainEvent[] = [];
    for (const waba of locked) {
      const before = visibleState(waba);
      if ((await mutate(waba, em)) === false) {
        continue;
      }
      this.rederive(waba);
      events.push(...this.recordChanges(em, waba, before, visibleState(waba), context));
      events.push(...(await this.runDisabledHooks(em, waba, context)));
    }
    return { result: locked, events };
  }

  /**
   * Inside the caller's transaction: Meta rejected the WABA's token during a step (registration,
   * subscription), so the connection needs re-authorization. Audited as CONNECTION_CHANGED; returns the
   * events to publish after commit (none when it was already marked).
   */
  markReauthRequiredIn(em: EntityManager, waba: Waba, context: ChangeContext): DomainEvent[] {
    if (waba.connection === WabaConnection.REAUTH_REQUIRED) {
      return [];
    }
    const before = visibleState(waba);
    waba.connection = WabaConnection.REAUTH_REQUIRED;
    recordObservation(waba, 'connection', new Date());
    return this.recordChanges(em, waba, before, visibleState(waba), context);
  }

  /**
   * Domain transition, inside {@link applyChange} (or signup): Meta shows the WABA connected to the
   * platform again as of `observedAt`. Clears a disconnection that this evidence can vouch for
   * ({@link ReconnectionEvidence}) unless the disconnection is newer; on a connected WABA it records the
   * time, so that an older disconnecting delivery arriving late does not take the WABA away again.
   */
  markReconnected(waba: Waba, observedAt: Date, evidence: ReconnectionEvidence): ReconnectionOutcome {
    if (isStale(waba, 'disconnection', observedAt)) {
      return ReconnectionOutcome.STALE;
    }
    if (waba.disconnectedReason !== null && !UNDONE_BY[evidence].has(waba.disconnectedReason)) {
      return ReconnectionOutcome.NOT_APPLICABLE;
    }
    observeFact(waba, 'disconnection', observedAt, () => {
      waba.disconnectedReason = null;
      waba.disconnectedAt = null;
    });
    return ReconnectionOutcome.APPLIED;
  }

  /**
   * The portfolio's MM Lite terms status as read or reported as of `observedAt`, unless a newer report is
   * applied already (inside {@link applyChange}).
   */
  applyTermsStatus(waba: Waba, status: string, observedAt: Date): void {
    observeFact(waba, 'mmLiteTermsStatus', observedAt, () => {
      waba.mmLiteTermsStatus = status;
    });
  }

  /**
   * Runs `work` in a fresh transaction and publishes the events it returns after the commit, so listeners
   * never see state that could still roll back.
   */
  async inTransaction<T>(work: (em: EntityManager) => Promise<{ result: T; events: DomainEvent[] }>): Promise<T> {
    const { result, events } = await this.em.fork().transactional(work);
    this.events.publish(...events);
    return result;
  }

  /**
   * Inside the caller's signup transaction: creates the WABA for the organization, or refreshes its token
   * (and connection) when the organization already has it. A successful signup is a reconnection: it
   * clears a disconnection (PARTNER_REMOVED, ACCOUNT_DELETED, ACCOUNT_OFFBOARDED) that Meta reported
   * before it ({@link markReconnected}). The caller has checked that no other organization owns it; the
   * unique index on `waba_id` backs that check under races.
   */
  async upsertForSignup(
    em: EntityManager,
    input: {
      organizationId: string;
      snapshot: WabaSnapshot;
      token: string;
      tokenExpiresAt: Date | null;
      signupCodeHash: string;
      context: ChangeContext;
    },
  ): Promise<{ waba: Waba; created: boolean; events: DomainEvent[] }> {
    const { sealed, fingerprint } = this.sealToken(input.token);
    const existing = await em.findOne(
      Waba,
      { wabaId: input.snapshot.id, organization: input.organizationId },
      { lockMode: LockMode.PESSIMISTIC_WRITE },
    );
    const waba =
      existing ?? new Waba(em.getReference(Organization, input.organizationId), input.snapshot.id, sealed, fingerprint);
    const before = existing ? visibleState(existing) : null;
    // The signup has just read the WABA with a token Meta validated: its reading is as of now.
    const observedAt = new Date();
    waba.accessTokenSealed = sealed;
    waba.accessTokenFingerprint = fingerprint;
    waba.accessTokenExpiresAt = input.tokenExpiresAt;
    waba.lastSignupCodeHash = input.signupCodeHash;
    // Unless Meta reported the app uninstalled after this read: then the new token is already dead.
    observeFact(waba, 'connection', observedAt, () => {
      waba.connection = WabaConnection.CONNECTED;
    });
    this.applySnapshot(waba, input.snapshot, observedAt);
    this.markReconnected(waba, observedAt, ReconnectionEvidence.SIGNUP);
    waba.lastSyncedAt = observedAt;
    waba.syncFailureCount = 0;
    waba.lastSyncErrorCode = null;
    this.rederive(waba);
    em.persist(waba);

    const events: DomainEvent[] = [];
    if (before) {
      events.push(...this.recordChanges(em, waba, before, visibleState(waba), input.context));
      // A reconnection can bring Meta's news that the WABA is disabled; its numbers follow in this commit.
      events.push(...(await this.runDisabledHooks(em, waba, input.context)));
    } else {
      this.audit.record(em, {
        organizationId: input.organizationId,
        wabaId: waba.wabaId,
        phoneNumberId: null,
        type: AuditEventType.WABA_CONNECTED,
        source: input.context.source,
        actor: input.context.actor,
        before: null,
        after: {
          name: waba.name,
          status: waba.status,
          statusReason: waba.statusReason,
          mmLiteStatus: waba.mmLiteStatus,
        },
      });
      events.push(new WabaConnectedEvent(input.organizationId, waba.wabaId));
    }
    return { waba, created: !existing, events };
  }

  /**
   * Copies the fields of a Graph read onto the WABA (inside {@link applyChange}), as of `observedAt`, the
   * moment the read began: each field only if no newer report of it is applied already (a webhook that
   * arrived while the read was in flight wins). Only fields Meta sent with a value are copied: one it left
   * out, or sent empty, keeps its stored value (see WabaSnapshot), and its "as of" time, so a partial
   * answer never clears a field, audits a change that did not happen, nor makes an older report of the
   * field look stale. A read that finds the WABA ACTIVE shows it shared with the platform again
   * ({@link markReconnected}).
   */
  applySnapshot(waba: Waba, snapshot: WabaSnapshot, observedAt: Date): void {
    if (SNAPSHOT_FACT_FIELDS.some((field) => hasValue(snapshot[field]))) {
      observeFact(waba, 'snapshot', observedAt, () => {
        waba.name = snapshot.name ?? waba.name;
        waba.metaStatus = snapshot.status ?? waba.metaStatus;
        waba.currency = snapshot.currency ?? waba.currency;
        waba.timezoneId = snapshot.timezoneId ?? waba.timezoneId;
        waba.businessVerificationStatus = snapshot.businessVerificationStatus ?? waba.businessVerificationStatus;
        waba.ownerBusinessId = snapshot.ownerBusinessId ?? waba.ownerBusinessId;
        waba.ownerBusinessName = snapshot.ownerBusinessName ?? waba.ownerBusinessName;
        if (snapshot.healthStatus) {
          waba.health = snapshot.healthStatus as unknown as Record<string, unknown>;
          const wabaEntity = snapshot.healthStatus.entities.find((entity) => entity.entityType === 'WABA');
          waba.healthWabaCanSend = wabaEntity?.canSendMessage ?? snapshot.healthStatus.canSendMessage;
        }
        if (snapshot.marketingMessagesOnboardingStatus) {
          waba.mmLiteMetaStatus = snapshot.marketingMessagesOnboardingStatus;
          waba.mmLiteLastCheckedAt = observedAt;
        }
      });
    }
    const country = snapshot.country;
    if (country) {
      observeFact(waba, 'country', observedAt, () => {
        waba.country = country;
      });
    }
    const accountReviewStatus = snapshot.accountReviewStatus;
    if (accountReviewStatus) {
      observeFact(waba, 'accountReviewStatus', observedAt, () => {
        waba.accountReviewStatus = accountReviewStatus;
      });
    }
    if (snapshot.ownerBusinessTermsStatus) {
      this.applyTermsStatus(waba, snapshot.ownerBusinessTermsStatus.status, observedAt);
    }
    if (snapshot.status === 'ACTIVE') {
      this.markReconnected(waba, observedAt, ReconnectionEvidence.SHARED);
    }
  }

  /** Seals a business token for storage and fingerprints it for grouping. */
  sealToken(token: string): { sealed: string; fingerprint: string } {
    return { sealed: this.secrets.seal(token), fingerprint: createHash('sha256').update(token).digest('hex') };
  }

  /** Decrypts the WABA's business token just before a Graph call. */
  async revealToken(waba: Waba): Promise<string> {
    if (!waba.accessTokenSealed) {
      // Across tenants: a lazy column of a WABA the caller already holds (background jobs have no scope).
      await this.em.populate(waba, ['accessTokenSealed'], { ...ACROSS_TENANTS });
    }
    return this.secrets.open(waba.accessTokenSealed);
  }

  /** Re-derives the stored status columns from the signals. */
  rederive(waba: Waba, now: Date = new Date()): void {
    const { status, statusReason } = deriveWabaStatus(waba, now);
    waba.status = status;
    waba.statusReason = statusReason;
    waba.mmLiteStatus = deriveMmLiteStatus(waba);
  }

  private async runDisabledHooks(em: EntityManager, waba: Waba, context: ChangeContext): Promise<DomainEvent[]> {
    if (waba.status !== WabaStatus.DISABLED) {
      return [];
    }
    const events: DomainEvent[] = [];
    for (const hook of this.disabledHooks) {
      events.push(...(await hook(em, waba, context)));
    }
    return events;
  }

  private recordChanges(
    em: EntityManager,
    waba: Waba,
    before: WabaVisibleState,
    after: WabaVisibleState,
    context: ChangeContext,
  ): DomainEvent[] {
    const organizationId = waba.organization.id;
    const base = {
      organizationId,
      wabaId: waba.wabaId,
      phoneNumberId: null,
      source: context.source,
      actor: context.actor,
      occurredAt: context.occurredAt,
    };
    const events: DomainEvent[] = [];
    if (before.status !== after.status || before.statusReason !== after.statusReason) {
      this.audit.record(em, {
        ...base,
        type: AuditEventType.WABA_STATUS_CHANGED,
        before: { status: before.status, statusReason: before.statusReason },
        after: { status: after.status, statusReason: after.statusReason },
      });
      events.push(
        new WabaStatusChangedEvent(
          organizationId,
          waba.wabaId,
          { status: before.status, statusReason: before.statusReason },
          { status: after.status, statusReason: after.statusReason },
          context.source,
        ),
      );
    }
    if (before.mmLiteStatus !== after.mmLiteStatus) {
      this.audit.record(em, {
        ...base,
        type: AuditEventType.MM_LITE_STATUS_CHANGED,
        before: { mmLiteStatus: before.mmLiteStatus, metaStatus: before.mmLiteMetaStatus },
        after: { mmLiteStatus: after.mmLiteStatus, metaStatus: after.mmLiteMetaStatus },
      });
      events.push(
        new MmLiteStatusChangedEvent(
          organizationId,
          waba.wabaId,
          before.mmLiteStatus,
          after.mmLiteStatus,
          after.mmLiteMetaStatus,
          context.source,
        ),
      );
    }
    if (before.connection !== after.connection) {
      this.audit.record(em, {
        ...base,
        type: AuditEventType.CONNECTION_CHANGED,
        before: { connection: before.connection },
        after: { connection: after.connection },
      });
      events.push(
        new ConnectionChangedEvent(organizationId, waba.wabaId, before.connection, after.connection, context.source),
      );
    }
    return events;
  }
}

/** Whether a field of a read carries a value (see WabaSnapshot: absent is undefined, empty is null). */
function hasValue(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function visibleState(waba: Waba): WabaVisibleState {
  return {
    status: waba.status,
    statusReason: waba.statusReason,
    mmLiteStatus: waba.mmLiteStatus,
    connection: waba.connection,
    mmLiteMetaStatus: waba.mmLiteMetaStatus,
  };
}

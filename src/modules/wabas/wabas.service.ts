import { createHash } from 'node:crypto';

import { LockMode } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { ACROSS_TENANTS } from 'src/common/database/tenant-filter';
import { Transactions } from 'src/common/events/transactions';
import { NotFoundDomainException } from 'src/common/exceptions/domain.exception';
import type { JsonText } from 'src/common/http/json-answer';
import { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import type { ChangeContext } from 'src/modules/audit/change-context';
import type { WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { WabaConnectedEvent } from './events/waba-connected.event';
import { WabaChanges, type WabaDisabledRule } from './waba-changes';
import { observeFact } from './waba-facts';
import { applySnapshot, markReconnected, rederive, requireReauthorization, visibleState } from './waba-transitions';
import { Waba } from './waba.entity';
import { WabaRepository, type WabaListQuery } from './waba.repository';
import { ReconnectionEvidence, WabaConnection, WebhookSubscriptionStatus } from './wabas.constants';
import type { WabaView } from './waba.types';

/** What a successful Embedded Signup stores on its WABA ({@link WabasService.upsertForSignup}). */
export interface SignupWabaInput {
  organizationId: string;
  snapshot: WabaSnapshot;
  token: string;
  tokenExpiresAt: Date | null;
  signupCodeHash: string;
  /**
   * The WABA as {@link WabasService.lockForSignup} returned it in the same transaction (null: unknown, so
   * created here). It must belong to `organizationId`: the caller refused another organization's.
   */
  stored: WabaView | null;
  /**
   * When the retry job takes over the WABA's webhook subscription if the signup's own attempt has not
   * finished by then (ignored when the WABA is subscribed already).
   */
  subscriptionDueAt: Date;
  context: ChangeContext;
}

/**
 * WABAs, the one owner of the `wabas` table: reads (scoped to an organization, or by Meta ID for webhooks
 * and the sync), the list, the signup's upsert, and the commands of the API and of the token's rejection.
 * The webhook-reported facts are {@link WabaAccountStateService}'s, the sync state
 * {@link WabaSyncStateService}'s, the webhook subscription {@link WabaSubscriptionService}'s; all change
 * WABAs through one internal path ({@link WabaChanges}) that re-derives the status and the MM Lite column,
 * audits in the same transaction and publishes after commit. Reads return `WabaView`: no other
 * module changes a WABA's fields.
 */
@Injectable()
export class WabasService {
  constructor(
    private readonly em: EntityManager,
    private readonly repository: WabaRepository,
    private readonly changes: WabaChanges,
    private readonly transactions: Transactions,
    private readonly secrets: SecretBox,
  ) {}

  /**
   * Registers a {@link WabaDisabledRule}. The owners of rows a disable affects register at module init
   * (PhoneNumbersService: MM_LITE numbers back to CLOUD_API), since this module cannot depend on theirs;
   * the rule then holds in the same commit as the status, with no event listener to miss.
   */
  whenDisabled(rule: WabaDisabledRule): void {
    this.changes.whenDisabled(rule);
  }

  /** The WABA if it belongs to the organization; another organization's WABA is a 404 like a missing one. */
  async getForOrganization(organizationId: string, wabaId: string): Promise<WabaView> {
    // The explicit condition doubles the request's tenant filter (defence in depth).
    const waba = await this.em.findOne(Waba, { wabaId, organization: organizationId });
    if (!waba) {
      throw new NotFoundDomainException('WABA', wabaId);
    }
    return waba;
  }

  /**
   * What `GET /wabas/{id}` shows of the organization's WABA, as the answer's JSON text (shaped by PostgreSQL in
   * one statement, see WabaRepository.detailJson); another organization's WABA is a 404 like a missing one.
   */
  async detailJson(organizationId: string, wabaId: string): Promise<string> {
    const body = await this.repository.detailJson(organizationId, wabaId);
    if (body === null) {
      throw new NotFoundDomainException('WABA', wabaId);
    }
    return body;
  }

  /**
   * Any organization's WABA by Meta ID (webhooks, the sync, signup's ownership check: a WABA belongs to at
   * most one organization, so signup must see another's to refuse it); inside the caller's transaction
   * when there is one. Null when unknown.
   */
  async findByWabaId(wabaId: string): Promise<WabaView | null> {
    const batched = this.changes.findInBatch(wabaId);
    return batched !== undefined ? batched : this.repository.findAcrossTenants(wabaId);
  }

  /**
   * Reads a WABA by Meta ID inside the caller's transaction and locks it FOR SHARE: its status cannot change
   * (a change takes FOR UPDATE) until that transaction ends, while other readers may share the lock. Take it
   * before any lock on the WABA's numbers, the order of the changes and their disabled rules. Null when
   * unknown.
   */
  async lockForShare(wabaId: string): Promise<WabaView | null> {
    // Callers checked ownership first, as for the commands. A batch holds its WABAs FOR UPDATE already.
    const batched = this.changes.findInBatch(wabaId);
    return batched !== undefined ? batched : this.repository.findAcrossTenants(wabaId, LockMode.PESSIMISTIC_READ);
  }

  /**
   * Runs `work` in one transaction with these WABAs locked first, in WABA-ID order, so that this module's
   * commands `work` runs on them apply without locking again and are written together at the commit (see
   * WabaChanges.inBatch). For the webhook worker's batches; the commands stay the only way to change them.
   */
  async inBatch<T>(wabaIds: readonly string[], work: () => Promise<T>): Promise<T> {
    return this.changes.inBatch(wabaIds, work);
  }

  /**
   * One page of the organization's WABAs ordered by WABA ID, with the count of their numbers, as the answer's
   * JSON text (shaped by PostgreSQL, see WabaRepository.listJson).
   */
  async listJson(organizationId: string, query: WabaListQuery): Promise<JsonText> {
    return this.repository.listJson(organizationId, query);
  }

  /** Decrypts the WABA's business token just before a Graph call. */
  async revealToken(waba: WabaView): Promise<string> {
    if (!waba.accessTokenSealed) {
      // Across tenants: a lazy column of a WABA the caller already holds (background jobs have no scope).
      await this.em.populate(waba, ['accessTokenSealed'], { ...ACROSS_TENANTS });
    }
    return this.secrets.open(waba.accessTokenSealed);
  }

  /**
   * Meta rejected the WABA's token (a registration, a send), so the connection needs re-authorization.
   * Audited as CONNECTION_CHANGED; nothing is written when it is marked already. Joins the open transaction.
   */
  async markReauthRequired(wabaId: string, context: ChangeContext): Promise<void> {
    const rejectedAt = new Date();
    await this.changes.applyOne(
      wabaId,
      context,
      (waba) => waba.connection !== WabaConnection.REAUTH_REQUIRED && requireReauthorization(waba, rejectedAt),
    );
  }

  /**
   * `POST .../mm-lite/setup`: records that setup started (once; a repeat changes nothing), which moves the
   * MM Lite column from the dash to NOT_ONBOARDED unless Meta already says ONBOARDED. Returns the WABA as
   * stored afterwards (null when unknown).
   */
  async startMmLiteSetup(wabaId: string, context: ChangeContext): Promise<WabaView | null> {
    const startedAt = new Date();
    return this.changes.applyOne(wabaId, context, (waba) => {
      if (waba.mmLiteSetupStartedAt) {
        return false;
      }
      waba.mmLiteSetupStartedAt = startedAt;
      return true;
    });
  }

  /**
   * Inside the signup's transaction, before its ownership check: any organization's WABA by Meta ID, locked
   * FOR UPDATE until that transaction ends (null when unknown). Hand it to {@link upsertForSignup}, which
   * then neither reads nor locks it again. Take it before any lock on the WABA's numbers.
   */
  async lockForSignup(wabaId: string): Promise<WabaView | null> {
    // Across tenants: signup must see another organization's WABA to refuse it.
    return this.repository.findAcrossTenants(wabaId, LockMode.PESSIMISTIC_WRITE);
  }

  /**
   * Inside the signup's transaction (joined): creates the WABA for the organization, or refreshes its token
   * (and connection) when the organization already has it, and schedules its webhook subscription for the
   * retry job. A successful signup is a reconnection: it clears a disconnection (PARTNER_REMOVED,
   * ACCOUNT_DELETED, ACCOUNT_OFFBOARDED) that Meta reported before it ({@link markReconnected}). The caller
   * has locked it ({@link lockForSignup}) and checked that no other organization owns it; the unique index
   * on `waba_id` backs that check under races. Its events are published after the signup's commit.
   */
  async upsertForSignup(input: SignupWabaInput): Promise<{ waba: WabaView; created: boolean }> {
    return this.transactions.run(async (em) => {
      const { sealed, fingerprint } = this.sealToken(input.token);
      const existing = input.stored ? this.lockedForSignup(em, input.stored, input.organizationId) : null;
      const waba = existing ?? Waba.ofOrganization(input.organizationId, input.snapshot.id, sealed, fingerprint);
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
      applySnapshot(waba, input.snapshot, observedAt);
      markReconnected(waba, observedAt, ReconnectionEvidence.SIGNUP);
      waba.lastSyncedAt = observedAt;
      waba.syncFailureCount = 0;
      waba.lastSyncErrorCode = null;
      if (waba.subscriptionStatus !== WebhookSubscriptionStatus.SUBSCRIBED) {
        // If this process dies before the signup's own attempt ends, the retry job completes it.
        waba.nextSubscriptionAttemptAt = input.subscriptionDueAt;
      }
      em.persist(waba);

      if (before) {
        // A reconnection can bring Meta's news that the WABA is disabled; its numbers follow in this commit.
        await this.changes.settle(waba, before, input.context);
      } else {
        rederive(waba);
        this.changes.recordFieldChange(waba, input.context, AuditEventType.WABA_CONNECTED, null, {
          name: waba.name,
          status: waba.status,
          statusReason: waba.statusReason,
          mmLiteStatus: waba.mmLiteStatus,
        });
        this.transactions.publishAfterCommit(new WabaConnectedEvent(input.organizationId, waba.wabaId));
      }
      return { waba, created: !existing };
    });
  }

  /**
   * The entity {@link lockForSignup} locked in this transaction: the one its identity map holds under that
   * ID. Anything else is a caller's mistake (another transaction's WABA, another organization's).
   */
  private lockedForSignup(em: EntityManager, stored: WabaView, organizationId: string): Waba {
    const locked = em.getUnitOfWork().getById<Waba>(Waba.name, stored.id);
    if (locked !== stored || locked.organization.id !== organizationId) {
      throw new Error(`WABA ${stored.wabaId} was not locked for this signup by lockForSignup`);
    }
    return locked;
  }

  /** Seals a business token for storage and fingerprints it for grouping. */
  private sealToken(token: string): { sealed: string; fingerprint: string } {
    return { sealed: this.secrets.seal(token), fingerprint: createHash('sha256').update(token).digest('hex') };
  }
}

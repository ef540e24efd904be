import { randomBytes, randomUUID } from 'node:crypto';

import { EntityRepository, type EntityManager } from '@mikro-orm/postgresql';

import { boundRows } from 'src/common/database/bound-sql';

import type { PendingConnection, PendingConnectionRejection } from './pending-connection.entity';
import { PendingConnectionStatus } from './phone-numbers.constants';
import type { Actor } from 'src/modules/organizations/actor';

/** A row a request or job instance works on alone, until its lease ends. */
export interface PendingConnectionClaim {
  id: string;
  claimToken: string;
}

/** What a request needs to know about the pending connection of its code. */
export interface PendingConnectionState {
  id: string;
  status: PendingConnectionStatus;
  wabaId: string;
  phoneNumberId: string;
  /** Another request or instance is working on the row right now. */
  claimLive: boolean;
  rejection: PendingConnectionRejection | null;
  expiresAt: Date;
}

/** A claimed PENDING row, with what its verification needs. */
export interface PendingConnectionWork {
  id: string;
  organizationId: string;
  codeHash: string;
  wabaId: string;
  phoneNumberId: string;
  businessId: string | null;
  actor: Actor;
  accessTokenSealed: string;
  accessTokenExpiresAt: Date | null;
  attempts: number;
  expiresAt: Date;
}

/** The request that claims a code for its exchange. */
export interface PendingConnectionRequest {
  organizationId: string;
  codeHash: string;
  wabaId: string;
  phoneNumberId: string;
  businessId: string | null;
  actor: Actor;
}

/**
 * The SQL of `pending_connections`. Every state change is one statement outside any transaction, guarded
 * by the row's status and, where a claim matters, its claim token; only {@link lockForCompletion} and
 * {@link markConnected} run inside the caller's (short, write-only) transaction. Raw SQL is not tenant
 * filtered: each statement names the organization or a row the caller already holds.
 */
export class PendingConnectionRepository extends EntityRepository<PendingConnection> {
  /**
   * The pending connection of this code (null when there is none) and whether the organization's number
   * `phoneNumberId` is stored under WABA `wabaId` from this very code (its WABA remembers the hash of its
   * last code: the same request repeated after its pending connection expired), with one statement. An
   * expired row is deleted by it first, so that a request repeated after the expiry starts over.
   */
  async findState(
    organizationId: string,
    codeHash: string,
    target: { wabaId: string; phoneNumberId: string },
    now: Date,
  ): Promise<{ state: PendingConnectionState | null; connectedByCode: boolean }> {
    // The DELETE runs to completion whatever the SELECT reads; both see the statement's snapshot, so the
    // SELECT leaves the expired row out by its own condition. One row always comes back (the LEFT JOIN).
    const [row] = await this.sql<{
      id: string | null;
      status: PendingConnectionStatus;
      waba_id: string;
      phone_number_id: string;
      rejection: PendingConnectionRejection | null;
      expires_at: Date;
      claim_live: boolean;
      connected_by_code: boolean;
    }>(
      `WITH expired AS (
         DELETE FROM pending_connections WHERE organization_id = ? AND code_hash = ? AND expires_at <= ?
       )
       SELECT pc.id, pc.status, pc.waba_id, pc.phone_number_id, pc.rejection, pc.expires_at,
              (pc.claim_expires_at IS NOT NULL AND pc.claim_expires_at > ?) AS claim_live,
              EXISTS (SELECT 1 FROM phone_numbers p JOIN wabas w ON w.id = p.waba_id
                       WHERE p.organization_id = ? AND p.phone_number_id = ? AND w.waba_id = ?
                         AND w.last_signup_code_hash = ?) AS connected_by_code
         FROM (VALUES (1)) AS one (n)
         LEFT JOIN pending_connections pc
           ON pc.organization_id = ? AND pc.code_hash = ? AND pc.expires_at > ?`,
      [
        organizationId,
        codeHash,
        now,
        now,
        organizationId,
        target.phoneNumberId,
        target.wabaId,
        codeHash,
        organizationId,
        codeHash,
        now,
      ],
    );
    const state: PendingConnectionState | null = row.id
      ? {
          id: row.id,
          status: row.status,
          wabaId: row.waba_id,
          phoneNumberId: row.phone_number_id,
          claimLive: row.claim_live,
          rejection: row.rejection,
          expiresAt: new Date(row.expires_at),
        }
      : null;
    return { state, connectedByCode: row.connected_by_code };
  }

  /**
   * Claims a code for its exchange: inserts the row, or takes over an EXCHANGING row whose claimant's lease
   * ended (it died mid-exchange). Null when the row exists in any other case: a twin request has it.
   */
  async claimCode(
    request: PendingConnectionRequest,
    now: Date,
    leaseMs: number,
    ttlMs: number,
  ): Promise<PendingConnectionClaim | null> {
    const claimToken = newClaimToken();
    const [row] = await this.sql<{ id: string }>(
      `INSERT INTO pending_connections (id, created_at, updated_at, organization_id, code_hash, waba_id,
              phone_number_id, business_id, actor, status, claim_token, claim_expires_at, attempts, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
       ON CONFLICT (organization_id, code_hash) DO UPDATE
          SET claim_token = EXCLUDED.claim_token, claim_expires_at = EXCLUDED.claim_expires_at,
              updated_at = EXCLUDED.updated_at
        WHERE pending_connections.status = ? AND pending_connections.claim_expires_at <= EXCLUDED.updated_at
       RETURNING id`,
      [
        randomUUID(),
        now,
        now,
        request.organizationId,
        request.codeHash,
        request.wabaId,
        request.phoneNumberId,
        request.businessId,
        request.actor,
        PendingConnectionStatus.EXCHANGING,
        claimToken,
        new Date(now.getTime() + leaseMs),
        new Date(now.getTime() + ttlMs),
        PendingConnectionStatus.EXCHANGING,
      ],
    );
    return row ? { id: row.id, claimToken } : null;
  }

  /** Claims a PENDING row nobody works on, for a repeated request to verify it now. */
  async claimForVerification(id: string, now: Date, leaseMs: number): Promise<PendingConnectionClaim | null> {
    const claimToken = newClaimToken();
    const [row] = await this.sql<{ id: string }>(
      `UPDATE pending_connections
          SET claim_token = ?, claim_expires_at = ?, attempts = attempts + 1, updated_at = ?
        WHERE id = ? AND status = ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
       RETURNING id`,
      [claimToken, new Date(now.getTime() + leaseMs), now, id, PendingConnectionStatus.PENDING, now],
    );
    return row ? { id: row.id, claimToken } : null;
  }

  /**
   * Claims the PENDING row whose verification is most overdue and that nobody works on (a failed
   * attempt's back-off ended, or its request died): SKIP LOCKED, so instances never wait for each other.
   */
  async claimDue(now: Date, leaseMs: number): Promise<PendingConnectionClaim | null> {
    const claimToken = newClaimToken();
    const [row] = await this.sql<{ id: string }>(
      `UPDATE pending_connections
          SET claim_token = ?, claim_expires_at = ?, attempts = attempts + 1, updated_at = ?
        WHERE id = (SELECT id FROM pending_connections
                     WHERE status = ? AND next_attempt_at <= ? AND expires_at > ?
                       AND (claim_expires_at IS NULL OR claim_expires_at <= ?)
                     ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
       RETURNING id`,
      [claimToken, new Date(now.getTime() + leaseMs), now, PendingConnectionStatus.PENDING, now, now, now],
    );
    return row ? { id: row.id, claimToken } : null;
  }

  /** The claimed PENDING row with its sealed token; null when the claim was lost or the row left PENDING. */
  async readWork(claim: PendingConnectionClaim): Promise<PendingConnectionWork | null> {
    const [row] = await this.sql<WorkColumns>(
      `SELECT ${WORK_COLUMNS} FROM pending_connections WHERE id = ? AND claim_token = ? AND status = ?`,
      [claim.id, claim.claimToken, PendingConnectionStatus.PENDING],
    );
    return row ? workOf(row) : null;
  }

  /**
   * Stores the exchanged token (sealed) and makes the row PENDING, due for the background job once the
   * claim's lease ends: if the request dies now, the job finishes the verification. Returns the row as
   * {@link readWork} would read it (the same statement), or null when the claim was lost.
   */
  async storeToken(
    claim: PendingConnectionClaim,
    sealedToken: string,
    tokenExpiresAt: Date | null,
    now: Date,
  ): Promise<PendingConnectionWork | null> {
    const [row] = await this.sql<WorkColumns>(
      `UPDATE pending_connections
          SET status = ?, access_token_sealed = ?, access_token_expires_at = ?, attempts = 1, next_attempt_at = ?,
              updated_at = ?
        WHERE id = ? AND claim_token = ? AND status = ?
       RETURNING ${WORK_COLUMNS}`,
      [
        PendingConnectionStatus.PENDING,
        sealedToken,
        tokenExpiresAt,
        now,
        now,
        claim.id,
        claim.claimToken,
        PendingConnectionStatus.EXCHANGING,
      ],
    );
    return row ? workOf(row) : null;
  }

  /** The exchange failed: nothing was stored, so the row goes and the same request may try again. */
  async dropClaim(claim: PendingConnectionClaim): Promise<void> {
    await this.sql('DELETE FROM pending_connections WHERE id = ? AND claim_token = ? AND status = ?', [
      claim.id,
      claim.claimToken,
      PendingConnectionStatus.EXCHANGING,
    ]);
  }

  /** Meta could not answer the verification: releases the claim and schedules the next attempt. */
  async release(
    claim: PendingConnectionClaim,
    nextAttemptAt: Date,
    lastError: { classification: string; metaCode: number | null },
    now: Date,
  ): Promise<void> {
    await this.sql(
      `UPDATE pending_connections
          SET claim_token = NULL, claim_expires_at = NULL, next_attempt_at = ?, last_error = ?::jsonb, updated_at = ?
        WHERE id = ? AND claim_token = ? AND status = ?`,
      [nextAttemptAt, JSON.stringify(lastError), now, claim.id, claim.claimToken, PendingConnectionStatus.PENDING],
    );
  }

  /**
   * The connection was refused: deletes the token and keeps the reason until the row expires, so that the
   * same request is answered the same way without Meta. `em` is the caller's transaction, if any.
   */
  async reject(id: string, rejection: PendingConnectionRejection, now: Date, em?: EntityManager): Promise<void> {
    await this.sql(
      `UPDATE pending_connections
          SET status = ?, rejection = ?::jsonb, access_token_sealed = NULL, access_token_expires_at = NULL,
              claim_token = NULL, claim_expires_at = NULL, next_attempt_at = NULL, updated_at = ?
        WHERE id = ? AND status IN (?, ?)`,
      [
        PendingConnectionStatus.REJECTED,
        JSON.stringify(rejection),
        now,
        id,
        PendingConnectionStatus.PENDING,
        PendingConnectionStatus.EXCHANGING,
      ],
      em,
    );
  }

  /**
   * Inside the completion transaction, with one statement: serializes the completions of one number and of
   * one WABA (transaction-scoped advisory locks, whatever their codes and organizations: the ownership
   * check reads before it writes), locks the row and returns its status (null when it expired). Every
   * completion takes the locks with this statement, hence in the same order.
   */
  async lockForCompletion(
    em: EntityManager,
    work: Pick<PendingConnectionWork, 'id' | 'wabaId' | 'phoneNumberId'>,
  ): Promise<PendingConnectionStatus | null> {
    // The target list is evaluated as the row is read, before its row lock is taken.
    const [row] = await this.sql<{ status: PendingConnectionStatus }>(
      `SELECT status, pg_advisory_xact_lock(hashtext(?)) AS number_lock, pg_advisory_xact_lock(hashtext(?)) AS waba_lock
         FROM pending_connections WHERE id = ? FOR UPDATE`,
      [`connect:${work.phoneNumberId}`, `connect-waba:${work.wabaId}`, work.id],
      em,
    );
    return row?.status ?? null;
  }

  /** Inside the completion transaction: the WABA holds the token now, so the row keeps none. */
  async markConnected(em: EntityManager, id: string, now: Date): Promise<void> {
    await this.sql(
      `UPDATE pending_connections
          SET status = ?, access_token_sealed = NULL, access_token_expires_at = NULL, claim_token = NULL,
              claim_expires_at = NULL, next_attempt_at = NULL, last_error = NULL, updated_at = ?
        WHERE id = ?`,
      [PendingConnectionStatus.CONNECTED, now, id],
      em,
    );
  }

  /** Deletes every row, token included, whose day is over; returns how many. */
  async deleteExpired(now: Date): Promise<number> {
    const rows = await this.sql('DELETE FROM pending_connections WHERE expires_at <= ? RETURNING id', [now]);
    return rows.length;
  }

  // Parameters bound, not written into the text by em.execute: each connect runs several of these.
  private sql<T = Record<string, unknown>>(query: string, params: unknown[], em?: EntityManager): Promise<T[]> {
    return boundRows<T>(em ?? this.getEntityManager(), query, params);
  }
}

/** The columns of a {@link PendingConnectionWork}. */
const WORK_COLUMNS = `id, organization_id, code_hash, waba_id, phone_number_id, business_id, actor, access_token_sealed,
       access_token_expires_at, attempts, expires_at`;

interface WorkColumns {
  id: string;
  organization_id: string;
  code_hash: string;
  waba_id: string;
  phone_number_id: string;
  business_id: string | null;
  actor: Actor;
  access_token_sealed: string | null;
  access_token_expires_at: Date | null;
  attempts: number;
  expires_at: Date;
}

function workOf(row: WorkColumns): PendingConnectionWork | null {
  if (!row.access_token_sealed) {
    return null;
  }
  return {
    id: row.id,
    organizationId: row.organization_id,
    codeHash: row.code_hash,
    wabaId: row.waba_id,
    phoneNumberId: row.phone_number_id,
    businessId: row.business_id,
    actor: row.actor,
    accessTokenSealed: row.access_token_sealed,
    accessTokenExpiresAt: row.access_token_expires_at ? new Date(row.access_token_expires_at) : null,
    attempts: Number(row.attempts),
    expiresAt: new Date(row.expires_at),
  };
}

function newClaimToken(): string {
  return randomBytes(16).toString('hex');
}

import { randomUUID } from 'node:crypto';

import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';

import { WabaConnection } from 'src/modules/wabas/wabas.constants';

import { SYNC_ROUND_CLAIM_BATCH_SIZE } from './sync-round.constants';

/** A round's claim on WABAs: the instance that holds it and the token of the batch it claimed. */
export interface SyncClaim {
  owner: string;
  token: string;
}

/**
 * Which WABAs a round claims; either way only CONNECTED ones (a rejected token waits for re-authorization)
 * that no instance holds a live claim on.
 */
export type RoundScope =
  /** The periodic round: the WABAs whose `next_sync_at` has come by `cutoff`. */
  | { kind: 'due'; cutoff: Date }
  /**
   * A full round: every WABA, due or not, that no round has handled since `startedAt` (the database's
   * clock, as text so that its microseconds survive; `sync_handled_at` is written by the same clock).
   */
  | { kind: 'full'; startedAt: string };

/** A WABA claimed for a round, with what the round needs to read it. */
export interface ClaimedWaba {
  wabaId: string;
  ownerBusinessId: string | null;
  fingerprint: string;
  sealedToken: string;
  claim: SyncClaim;
}

/**
 * The SQL of the rounds' claims on `wabas` rows (`sync_claimed_by`, `sync_claim_token`,
 * `sync_claim_expires_at`, `sync_handled_at`) and of what a round reads besides Meta. Raw SQL, which the
 * tenant filter does not cover: rounds work across organizations by design.
 */
@Injectable()
export class SyncRoundRepository {
  constructor(private readonly em: EntityManager) {}

  /** The database's clock now, as text (microseconds kept) for {@link RoundScope} `full`. */
  async databaseNow(): Promise<string> {
    const [row]: Array<{ now: string }> = await this.em.getConnection().execute('SELECT now()::text AS now');
    return row.now;
  }

  /**
   * Claims up to one batch of the scope's unclaimed, connected WABAs for `owner` under a fresh token, until
   * `leaseMs` from now. `byToken` orders the batch by token fingerprint, so WABAs sharing a business token
   * land together. A full round walks the same order: a WABA it has read moves (mostly) an interval ahead,
   * behind the ones still to read, which so stay at the front of the `next_sync_at` index.
   */
  async claim(scope: RoundScope, owner: string, leaseMs: number, byToken: boolean): Promise<ClaimedWaba[]> {
    const claim: SyncClaim = { owner, token: randomUUID() };
    const ordering = byToken ? 'access_token_fingerprint, next_sync_at, id' : 'next_sync_at, id';
    const [eligible, bound] =
      scope.kind === 'due'
        ? ['next_sync_at <= ?', scope.cutoff]
        : ['(sync_handled_at IS NULL OR sync_handled_at < CAST(? AS timestamptz))', scope.startedAt];
    const rows: Array<{
      waba_id: string;
      owner_business_id: string | null;
      access_token_fingerprint: string;
      access_token_sealed: string;
    }> = await this.em.getConnection().execute(
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
      [claim.owner, claim.token, leaseMs, WabaConnection.CONNECTED, bound, SYNC_ROUND_CLAIM_BATCH_SIZE],
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
  async renew(owner: string, tokens: string[], leaseMs: number): Promise<string[]> {
    if (tokens.length === 0) {
      return [];
    }
    const rows: Array<{ waba_id: string }> = await this.em.getConnection().execute(
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
  async release(claim: SyncClaim, wabaIds: string[]): Promise<void> {
    if (wabaIds.length === 0) {
      return;
    }
    await this.em.getConnection().execute(
      `UPDATE wabas
          SET sync_claimed_by = NULL, sync_claim_token = NULL, sync_claim_expires_at = NULL, sync_handled_at = now()
        WHERE waba_id IN (?) AND sync_claimed_by = ? AND sync_claim_token = ?`,
      [wabaIds, claim.owner, claim.token],
    );
  }
}

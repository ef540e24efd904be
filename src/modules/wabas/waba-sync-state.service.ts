import { Injectable } from '@nestjs/common';

import type { ChangeContext } from 'src/modules/audit/change-context';

import { WabaChanges, type WabaSyncMutation } from './waba-changes';
import type { Waba } from './waba.entity';
import type {
  ClaimedWaba,
  RoundScope,
  SyncClaim,
  SyncClaimRequest,
  SyncFailure,
  WabaSyncReading,
} from './waba-sync.types';
import {
  applySnapshot,
  applyTermsStatus,
  holdsClaim,
  nextSyncAfterFailure,
  requireReauthorization,
} from './waba-transitions';
import { WabaRepository } from './waba.repository';
import type { WabaView } from './waba.types';

/** When the readings were applied, and when to read the WABAs again. */
export interface SyncSchedule {
  syncedAt: Date;
  nextSyncAt: Date;
}

/** A WABA a sync applied: its internal ID, Meta's ID and its organization. */
export interface SyncedWaba {
  id: string;
  wabaId: string;
  organizationId: string;
}

/**
 * What applying a read does to one locked WABA (entity or plain row): nothing when the round's `claim` is
 * lost; else the read's fields as of when it began, the terms, and the sync state reset. Adds the WABAs it
 * applied to `applied`.
 */
function syncMutation(
  readings: ReadonlyMap<string, WabaSyncReading>,
  schedule: SyncSchedule,
  claim: SyncClaim | undefined,
  applied: Set<string>,
): WabaSyncMutation {
  return (fields) => {
    // The transitions read and write only the sync's fields (WabaSyncField), which `fields` carries.
    const waba = fields as Waba;
    const reading = readings.get(waba.wabaId);
    if (!reading || !holdsClaim(waba, claim)) {
      return false;
    }
    applySnapshot(waba, reading.snapshot, reading.observedAt);
    if (reading.terms) {
      applyTermsStatus(waba, reading.terms.status, reading.observedAt);
    }
    waba.lastSyncedAt = schedule.syncedAt;
    waba.syncFailureCount = 0;
    waba.lastSyncErrorCode = null;
    waba.nextSyncAt = schedule.nextSyncAt;
    applied.add(waba.wabaId);
    return true;
  };
}

/**
 * The WABAs' sync state: what a read of Meta found, a failed read's back-off, a throttled WABA's deferral,
 * and the rounds' claims on the rows. Every outcome of a round is recorded only while the round's claim
 * still stands, checked on the row locked for the change (a round that lost a WABA to another instance
 * records nothing). Changes join the caller's transaction and are audited with the caller's context.
 */
@Injectable()
export class WabaSyncStateService {
  constructor(
    private readonly repository: WabaRepository,
    private readonly changes: WabaChanges,
  ) {}

  /**
   * Applies the readings of many WABAs (a re-sync chunk, or one WABA) as of when each was read, and resets
   * their sync state. Returns the WABAs applied: those that exist and on which the round's `claim`, if any,
   * still stands. Locks the rows in WABA-ID order; joins the use case's transaction, in which the caller
   * applies the readings' numbers next (lock order: WABAs, then their numbers).
   */
  async applySyncReadings(
    readings: ReadonlyMap<string, WabaSyncReading>,
    context: ChangeContext,
    schedule: SyncSchedule,
    claim?: SyncClaim,
  ): Promise<Array<WabaView>> {
    const applied = new Set<string>();
    const locked = await this.changes.apply(
      [...readings.keys()],
      context,
      syncMutation(readings, schedule, claim, applied),
    );
    return locked.filter((waba) => applied.has(waba.wabaId));
  }

  /**
   * {@link applySyncReadings} for a sync round's chunk, the same rules without loading entities
   * (WabaChanges.applyInBulk): one statement writes the WABAs whose visible state stays as it was, and the
   * others go through the command path (audit, events, the disabled rule). `release` also releases the
   * round's `claim` on the WABAs applied, in the same transaction (as {@link releaseSyncClaims}). Returns the
   * WABAs applied (internal ID, Meta ID, organization), for the numbers that follow in the same transaction.
   */
  async applySyncReadingsInBulk(
    readings: ReadonlyMap<string, WabaSyncReading>,
    context: ChangeContext,
    schedule: SyncSchedule,
    claim?: SyncClaim,
    { release = false }: { release?: boolean } = {},
  ): Promise<SyncedWaba[]> {
    const applied = new Set<string>();
    const locked = await this.changes.applyInBulk(
      [...readings.keys()],
      context,
      syncMutation(readings, schedule, claim, applied),
      { releaseClaim: release ? claim : undefined },
    );
    return locked
      .filter((waba) => applied.has(waba.wabaId))
      .map(({ id, wabaId, organizationId }) => ({ id, wabaId, organizationId }));
  }

  /**
   * Records a failed read: REAUTH_REQUIRED for a rejected token, and the failure counted with its back-off
   * ({@link nextSyncAfterFailure}). Returns false, recording nothing, when the round's `claim` was lost.
   */
  async recordSyncFailure(
    wabaId: string,
    failure: SyncFailure,
    context: ChangeContext,
    claim?: SyncClaim,
  ): Promise<boolean> {
    const failedAt = new Date();
    let held = true;
    await this.changes.applyOne(wabaId, context, (waba) => {
      held = holdsClaim(waba, claim);
      if (!held) {
        return false;
      }
      waba.syncFailureCount += 1;
      waba.lastSyncErrorCode = failure.code;
      if (failure.tokenRejected) {
        requireReauthorization(waba, failedAt);
      }
      waba.nextSyncAt = nextSyncAfterFailure(waba.syncFailureCount, failedAt, failure.retryAfterMs);
      return true;
    });
    return held;
  }

  /**
   * Pushes the next sync of a WABA out to `until` (never earlier than already planned) without counting a
   * failure: for WABAs Meta throttles, which are not at fault. Returns false, changing nothing, when the
   * round's `claim` was lost.
   */
  async deferSync(wabaId: string, until: Date, context: ChangeContext, claim?: SyncClaim): Promise<boolean> {
    let held = true;
    await this.changes.applyOne(wabaId, context, (waba) => {
      held = holdsClaim(waba, claim);
      if (!held || waba.nextSyncAt.getTime() >= until.getTime()) {
        return false;
      }
      waba.nextSyncAt = until;
      return true;
    });
    return held;
  }

  /** The database's clock now, as text (microseconds kept), the start of a full round ({@link RoundScope}). */
  async databaseNow(): Promise<string> {
    return this.repository.databaseNow();
  }

  /**
   * Claims the next batch of a round: the scope's unclaimed, connected WABAs, for the requesting instance
   * under a fresh token with a lease (FOR UPDATE SKIP LOCKED, so instances share a round).
   */
  async claimForSyncRound(scope: RoundScope, request: SyncClaimRequest): Promise<ClaimedWaba[]> {
    return this.repository.claimForSyncRound(scope, request);
  }

  /** Extends the leases of `owner`'s claims under these tokens that still stand; returns the WABAs renewed. */
  async renewSyncClaims(owner: string, tokens: string[], leaseMs: number): Promise<string[]> {
    return this.repository.renewSyncClaims(owner, tokens, leaseMs);
  }

  /**
   * Ends the claim on WABAs whose outcome is recorded and stamps them handled (a full round running since
   * before now does not read them again), only where the claim still stands.
   */
  async releaseSyncClaims(claim: SyncClaim, wabaIds: string[]): Promise<void> {
    await this.repository.releaseSyncClaims(claim, wabaIds);
  }
}

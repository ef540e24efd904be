import type { WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

import { isStale, observeFact } from './waba-facts';
import { deriveMmLiteStatus, deriveWabaStatus } from './waba-status';
import type { Waba } from './waba.entity';
import type { SyncClaim } from './waba-sync.types';
import {
  META_SYNC_BASE_BACKOFF_MINUTES,
  META_SYNC_MAX_BACKOFF_MINUTES,
  ReconnectionEvidence,
  ReconnectionOutcome,
  WabaConnection,
  WabaDisconnection,
} from './wabas.constants';
import type { WabaView } from './waba.types';

/**
 * The transitions of a WABA's fields, as pure functions of the entity: the commands of this module run them
 * on a row they locked, then re-derive, audit and publish. Nothing outside this module calls them.
 */

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

/** The columns whose changes are audited and published (see WabaChanges). */
export type WabaVisibleState = Pick<
  Waba,
  'status' | 'statusReason' | 'mmLiteStatus' | 'connection' | 'mmLiteMetaStatus'
>;

/** The audited columns of the WABA as they are now. */
export function visibleState(waba: WabaView): WabaVisibleState {
  return {
    status: waba.status,
    statusReason: waba.statusReason,
    mmLiteStatus: waba.mmLiteStatus,
    connection: waba.connection,
    mmLiteMetaStatus: waba.mmLiteMetaStatus,
  };
}

/** Re-derives the stored status columns from the signals. */
export function rederive(waba: Waba, now: Date = new Date()): void {
  const { status, statusReason } = deriveWabaStatus(waba, now);
  waba.status = status;
  waba.statusReason = statusReason;
  waba.mmLiteStatus = deriveMmLiteStatus(waba);
}

/**
 * The one transition to REAUTH_REQUIRED, whatever showed the stored token dead (Meta rejecting it on a
 * call, or PARTNER_APP_UNINSTALLED), as of `observedAt`. Returns false, changing nothing, when a newer
 * report of the connection is applied already (a signup after the report). Applying it again changes
 * nothing but the report's time.
 */
export function requireReauthorization(waba: Waba, observedAt: Date): boolean {
  return observeFact(waba, 'connection', observedAt, () => {
    waba.connection = WabaConnection.REAUTH_REQUIRED;
  });
}

/**
 * Meta shows the WABA connected to the platform again as of `observedAt`. Clears a disconnection that
 * this evidence can vouch for ({@link ReconnectionEvidence}) unless the disconnection is newer; on a
 * connected WABA it records the time, so that an older disconnecting delivery arriving late does not
 * take the WABA away again.
 */
export function markReconnected(waba: Waba, observedAt: Date, evidence: ReconnectionEvidence): ReconnectionOutcome {
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

/** The portfolio's MM Lite terms status as read or reported as of `observedAt`, unless a newer report is applied. */
export function applyTermsStatus(waba: Waba, status: string, observedAt: Date): boolean {
  return observeFact(waba, 'mmLiteTermsStatus', observedAt, () => {
    waba.mmLiteTermsStatus = status;
  });
}

/**
 * Copies the fields of a Graph read onto the WABA as of `observedAt`, the moment the read began: each
 * field only if no newer report of it is applied already (a webhook that arrived while the read was in
 * flight wins). Only fields Meta sent with a value are copied: one it left out, or sent empty, keeps its
 * stored value (see WabaSnapshot), and its "as of" time, so a partial answer never clears a field, audits
 * a change that did not happen, nor makes an older report of the field look stale. A read that finds the
 * WABA ACTIVE shows it shared with the platform again ({@link markReconnected}).
 */
export function applySnapshot(waba: Waba, snapshot: WabaSnapshot, observedAt: Date): void {
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
    applyTermsStatus(waba, snapshot.ownerBusinessTermsStatus.status, observedAt);
  }
  if (snapshot.status === 'ACTIVE') {
    markReconnected(waba, observedAt, ReconnectionEvidence.SHARED);
  }
}

/**
 * When to read a WABA again after its `failureCount`-th consecutive failed read: the back-off doubles
 * from META_SYNC_BASE_BACKOFF_MINUTES up to META_SYNC_MAX_BACKOFF_MINUTES, and never comes before the
 * time Meta asked to wait (`retryAfterMs`).
 */
export function nextSyncAfterFailure(failureCount: number, now: Date, retryAfterMs: number): Date {
  const backoffMinutes = Math.min(
    META_SYNC_MAX_BACKOFF_MINUTES,
    META_SYNC_BASE_BACKOFF_MINUTES * 2 ** Math.max(0, failureCount - 1),
  );
  return new Date(now.getTime() + Math.max(backoffMinutes * 60_000, retryAfterMs));
}

/**
 * Whether a round's claim on the WABA still stands (always, outside rounds). Checked on the row locked for
 * the change, so no claim can be taken between this check and the commit.
 */
export function holdsClaim(waba: WabaView, claim: SyncClaim | undefined): boolean {
  return !claim || (waba.syncClaimedBy === claim.owner && waba.syncClaimToken === claim.token);
}

/** Whether a field of a read carries a value (see WabaSnapshot: absent is undefined, empty is null). */
function hasValue(value: unknown): boolean {
  return value !== undefined && value !== null;
}

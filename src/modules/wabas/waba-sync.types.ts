import type { MmLiteTermsStatus, WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';

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

/** How a round claims its next batch ({@link RoundScope} says which WABAs). */
export interface SyncClaimRequest {
  /** The instance claiming (written into the claim). */
  owner: string;
  /** How long the claim holds unless renewed. */
  leaseMs: number;
  /** Order the batch by token fingerprint, so that WABAs sharing a business token land together. */
  byToken: boolean;
  /** WABAs per batch. */
  limit: number;
}

/** A WABA claimed for a round, with what the round needs to read it. */
export interface ClaimedWaba {
  /** The WABA's row (internal ID): what the round's reads of its numbers and templates go by. */
  rowId: string;
  wabaId: string;
  ownerBusinessId: string | null;
  fingerprint: string;
  sealedToken: string;
  claim: SyncClaim;
}

/** What a read of Meta said about one WABA's own fields (its numbers are the phone numbers' business). */
export interface WabaSyncReading {
  snapshot: WabaSnapshot;
  terms: MmLiteTermsStatus | null;
  /** When the read began: a report of a later moment, applied while the read was in flight, keeps its fields. */
  observedAt: Date;
}

/** A failed read of a WABA, as the sync state records it. */
export interface SyncFailure {
  /** The failure's class (MetaGatewayErrorCode), stored as `last_sync_error_code`. */
  code: string;
  /** Meta rejected the WABA's token: the connection needs re-authorization. */
  tokenRejected: boolean;
  /** What Meta asked to wait before the next call (0 when it did not say). */
  retryAfterMs: number;
}

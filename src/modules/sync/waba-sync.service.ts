import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { Transactions } from 'src/common/events/transactions';
import { domainExceptionFromMeta } from 'src/modules/meta-gateway/meta-failure.problem';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import type { MmLiteTermsStatus, PhoneNumberSnapshot, WabaSnapshot } from 'src/modules/meta-gateway/meta-gateway.types';
import { PhoneNumbersService } from 'src/modules/phone-numbers/phone-numbers.service';
import { WabaSyncStateService } from 'src/modules/wabas/waba-sync-state.service';
import type { SyncClaim } from 'src/modules/wabas/waba-sync.types';
import type { WabaView } from 'src/modules/wabas/waba.types';
import { WabaConnection, WebhookSubscriptionStatus } from 'src/modules/wabas/wabas.constants';
import { ReauthRequiredException } from 'src/modules/wabas/wabas.exception';
import { WabasService } from 'src/modules/wabas/wabas.service';
import { WabaWebhooksService } from 'src/modules/wabas/waba-webhooks.service';

import { ChangeSource, type ChangeContext, type ChangeFence } from 'src/modules/audit/change-context';
import type { Actor } from 'src/modules/organizations/actor';

/** What Meta said about one WABA in one read (its fields, its numbers, the portfolio's terms). */
export interface WabaReading {
  snapshot: WabaSnapshot;
  numbers: PhoneNumberSnapshot[] | null;
  terms: MmLiteTermsStatus | null;
  /**
   * When the read began: what it says is Meta's state as of then, so a webhook about a later moment that
   * is applied while the read is in flight keeps its fields.
   */
  observedAt: Date;
}

/**
 * What a sync write must still hold for it to apply, checked inside the write's transaction: the round's
 * claim on the WABA (checked on the WABA row locked for the change: a write under a lost claim records
 * nothing) and the webhook worker's lease (ChangeContext.fence: it throws and aborts the transaction).
 */
export interface SyncGuard {
  /** The sync round's claim on the WABA (see WabaSyncStateService.claimForSyncRound). */
  claim?: SyncClaim;
  /** The webhook worker's lease of the delivery the read answers (see ChangeContext.fence). */
  fence?: ChangeFence;
  /** A round's chunk: release the `claim` on the WABAs applied in the apply's own transaction. */
  release?: boolean;
}

/** The reads of Meta a {@link WabaReading} takes: the gateway itself, or a sync round's limited view of it. */
export type WabaReads = Pick<MetaGateway, 'getWaba' | 'listPhoneNumbers' | 'getBusinessTermsStatus'>;

/** Outcome of syncing one WABA. */
export type SyncOutcome = 'SYNCED' | 'FAILED' | 'SKIPPED';

/**
 * Reads WABAs from Meta and applies what it says through the owning services, so that every source of
 * truth (on-demand sync, webhooks that need a re-read, MM Lite refresh, the periodic round) shares one
 * path, including the reaction to failures: a rejected token marks REAUTH_REQUIRED and stops calls for
 * that WABA; other failures count up and push the next attempt out exponentially.
 *
 * What a read finds is Meta's doing, never the caller's: every change applied here is audited with source
 * SYNC, and callers only say who asked for the read (`requestedBy`, the audit actor: `api-key:<id>`,
 * `admin`, `system`, `meta-webhook`).
 */
@Injectable()
export class WabaSyncService {
  private readonly logger = new Logger(WabaSyncService.name);

  constructor(
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly syncState: WabaSyncStateService,
    private readonly phoneNumbers: PhoneNumbersService,
    private readonly transactions: Transactions,
    private readonly config: ConfigService<AllConfig, true>,
    private readonly webhooks: WabaWebhooksService,
  ) {}

  /**
   * `POST /wabas/{id}/sync` and friends: reads the WABA, its numbers and the MM Lite terms now with the
   * WABA's own token and applies them, audited as SYNC by `requestedBy`. Throws the public problem when
   * Meta fails (the failure is recorded on the WABA first). With `checkWebhooks` (a person asked for Meta's
   * whole view of this WABA: `POST /wabas/{id}/sync`) its webhook subscription is checked too, and repaired
   * when missing, whatever the rounds' schedule; the answer then says what the check found.
   */
  async syncNow(
    organizationId: string,
    wabaId: string,
    requestedBy: Actor,
    { checkWebhooks = false }: { checkWebhooks?: boolean } = {},
  ): Promise<WabaView> {
    const waba = await this.wabas.getForOrganization(organizationId, wabaId);
    if (waba.connection === WabaConnection.REAUTH_REQUIRED) {
      throw new ReauthRequiredException(wabaId);
    }
    try {
      const token = await this.wabas.revealToken(waba);
      const reading = await this.read(waba, token);
      const applied = (await this.applyReading(wabaId, reading, requestedBy)) ?? waba;
      if (!checkWebhooks || !hasSubscriptionToCheck(applied)) {
        return applied;
      }
      // After the read, so that the read's time is not pushed back by the check's call.
      return (await this.webhooks.checkNow(wabaId, token, readContext(requestedBy))) ?? applied;
    } catch (error) {
      await this.recordFailure(wabaId, error, requestedBy);
      if (error instanceof MetaGatewayException) {
        throw error.code === MetaGatewayErrorCode.AUTH_INVALID
          ? new ReauthRequiredException(wabaId)
          : domainExceptionFromMeta(error);
      }
      throw error;
    }
  }

  /**
   * Re-reads one WABA for a background reaction (a webhook that needs a re-read, a failed send): never
   * throws for Meta failures, records them instead. Audited as SYNC by `requestedBy`; `fence` guards each
   * write (the webhook worker's lease, see ChangeContext.fence).
   */
  async syncInBackground(wabaId: string, requestedBy: Actor, fence?: ChangeFence): Promise<SyncOutcome> {
    const waba = await this.wabas.findByWabaId(wabaId);
    if (!waba || waba.connection === WabaConnection.REAUTH_REQUIRED) {
      return 'SKIPPED';
    }
    if (this.meta.throttledUntil(wabaId)) {
      return 'SKIPPED';
    }
    try {
      const reading = await this.read(waba, await this.wabas.revealToken(waba));
      await this.applyReading(wabaId, reading, requestedBy, { fence });
      return 'SYNCED';
    } catch (error) {
      await this.recordFailure(wabaId, error, requestedBy, { fence });
      return 'FAILED';
    }
  }

  /** Reads the WABA, its numbers and (when the portfolio is known) its terms status with one token. */
  async read(waba: WabaView, token: string): Promise<WabaReading> {
    return this.readWith(this.meta, waba, token);
  }

  /**
   * {@link read} through other reads of Meta: the sync round passes its own, which count the calls and hold
   * them to the round's concurrency limit. Only `wabaId` and `ownerBusinessId` of the WABA are used.
   */
  async readWith(
    meta: WabaReads,
    waba: Pick<WabaView, 'wabaId' | 'ownerBusinessId'>,
    token: string,
  ): Promise<WabaReading> {
    const observedAt = new Date();
    const [snapshot, numbers] = await Promise.all([
      meta.getWaba(waba.wabaId, token),
      meta.listPhoneNumbers(waba.wabaId, token),
    ]);
    const terms =
      snapshot.ownerBusinessTermsStatus ??
      (await this.readTerms(meta, snapshot.ownerBusinessId ?? waba.ownerBusinessId, token));
    return { snapshot, numbers, terms, observedAt };
  }

  /**
   * Applies a reading through the owning services; returns the updated WABA (null if it vanished, or if
   * the round's claim on it was lost, see {@link SyncGuard}).
   */
  async applyReading(
    wabaId: string,
    reading: WabaReading,
    requestedBy: Actor,
    guard: SyncGuard = {},
  ): Promise<WabaView | null> {
    const [waba] = await this.applyReadings(new Map([[wabaId, reading]]), requestedBy, guard);
    return waba ?? null;
  }

  /**
   * Applies the readings of many WABAs (a multi-ID chunk of the re-sync) in one transaction: the WABAs'
   * fields and sync state, then their numbers, audited as SYNC by `requestedBy`. Returns the WABAs applied:
   * those that exist and, for a round, on which its `claim` still stands (checked under the row lock, so a
   * round that lost a WABA to another instance never applies its stale reading).
   */
  async applyReadings(
    readings: Map<string, WabaReading>,
    requestedBy: Actor,
    { claim, fence }: SyncGuard = {},
  ): Promise<Array<WabaView>> {
    const context = readContext(requestedBy, fence);
    const schedule = this.schedule();
    return this.transactions.run(async () => {
      const wabas = await this.syncState.applySyncReadings(readings, context, schedule, claim);
      await this.applyNumbers(
        readings,
        wabas.map((waba) => ({ id: waba.id, wabaId: waba.wabaId, organizationId: waba.organization.id })),
        context,
      );
      return wabas;
    });
  }

  /**
   * {@link applyReadings} for a sync round's chunk, with the same rules and guard, in one transaction and
   * without loading entities: the WABAs whose visible state does not change are written by one statement,
   * the others through the WABAs' commands, then every number by one statement (audited where it changed).
   * With `release`, the round's claim on the WABAs applied ends in the same transaction. Returns the Meta IDs
   * of the WABAs applied.
   */
  async applyReadingsInBulk(
    readings: Map<string, WabaReading>,
    requestedBy: Actor,
    { claim, fence, release }: SyncGuard = {},
  ): Promise<string[]> {
    const context = readContext(requestedBy, fence);
    const schedule = this.schedule();
    return this.transactions.run(async () => {
      const wabas = await this.syncState.applySyncReadingsInBulk(readings, context, schedule, claim, { release });
      await this.applyNumbers(readings, wabas, context);
      return wabas.map((waba) => waba.wabaId);
    });
  }

  /** The applied WABAs' numbers, each WABA's as of when it was read (joins the running transaction). */
  private async applyNumbers(
    readings: Map<string, WabaReading>,
    wabas: Array<{ id: string; wabaId: string; organizationId: string }>,
    context: ChangeContext,
  ): Promise<void> {
    const now = new Date();
    await this.phoneNumbers.applyReadings(
      wabas.map((waba) => {
        const reading = readings.get(waba.wabaId);
        return { waba, snapshots: reading?.numbers ?? [], observedAt: reading?.observedAt ?? now };
      }),
      context,
    );
  }

  /** When readings applied now were synced, and when to read the WABAs again. */
  private schedule(): { syncedAt: Date; nextSyncAt: Date } {
    const now = new Date();
    return { syncedAt: now, nextSyncAt: new Date(now.getTime() + this.intervalMs()) };
  }

  /**
   * Records a failed read on the WABA: REAUTH_REQUIRED for a rejected token (audited as SYNC by
   * `requestedBy`: Meta refused the token, nobody changed the connection by hand), back-off for the rest.
   * Returns false, recording nothing, when the round's `claim` on the WABA was lost.
   */
  async recordFailure(
    wabaId: string,
    error: unknown,
    requestedBy: Actor,
    { claim, fence }: SyncGuard = {},
  ): Promise<boolean> {
    const code = error instanceof MetaGatewayException ? error.code : MetaGatewayErrorCode.UNKNOWN;
    this.logger.warn(
      `Sync of WABA ${wabaId} failed: ${code}${error instanceof MetaGatewayException && error.metaCode ? ` (#${error.metaCode})` : ''}`,
    );
    const retryAfterMs =
      error instanceof MetaGatewayException && error.details.retryAfterSeconds
        ? error.details.retryAfterSeconds * 1000
        : 0;
    return this.syncState.recordSyncFailure(
      wabaId,
      { code, tokenRejected: code === MetaGatewayErrorCode.AUTH_INVALID, retryAfterMs },
      readContext(requestedBy, fence),
      claim,
    );
  }

  /**
   * Pushes the next sync of a WABA out to `until` (never earlier than already planned) without counting a
   * failure: the round uses it for WABAs Meta throttles, which are not at fault. Returns false, changing
   * nothing, when the round's `claim` on the WABA was lost.
   */
  async deferSync(wabaId: string, until: Date, requestedBy: Actor, claim?: SyncClaim): Promise<boolean> {
    return this.syncState.deferSync(wabaId, until, readContext(requestedBy), claim);
  }

  private async readTerms(
    meta: WabaReads,
    businessId: string | null,
    token: string,
  ): Promise<MmLiteTermsStatus | null> {
    if (!businessId) {
      return null;
    }
    try {
      return await meta.getBusinessTermsStatus(businessId, token);
    } catch (error) {
      // A business token may lack business_management on the portfolio: the terms stay unknown.
      if (error instanceof MetaGatewayException && error.code === MetaGatewayErrorCode.AUTH_INVALID) {
        throw error;
      }
      return null;
    }
  }

  private intervalMs(): number {
    return this.config.get('scheduler.syncIntervalMinutes', { infer: true }) * 60_000;
  }
}

/** The audit context of what a read of Meta finds: Meta's change, seen by a sync that `requestedBy` asked for. */
function readContext(requestedBy: Actor, fence?: ChangeFence): ChangeContext {
  return { source: ChangeSource.SYNC, actor: requestedBy, fence };
}

/**
 * Whether a WABA has a webhook subscription to check, as the rounds' checks choose them: subscribed (a pending
 * one is the retry job's), connected, and not disconnected by Meta (no subscription to keep).
 */
function hasSubscriptionToCheck(waba: WabaView): boolean {
  return (
    waba.subscriptionStatus === WebhookSubscriptionStatus.SUBSCRIBED &&
    waba.connection === WabaConnection.CONNECTED &&
    waba.disconnectedReason === null
  );
}

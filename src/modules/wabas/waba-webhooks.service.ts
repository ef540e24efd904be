import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { SecretBox } from 'src/common/security/secret-box';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import type { ChangeContext } from 'src/modules/audit/change-context';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { describeFailure } from 'src/modules/meta-gateway/meta-failure.problem';
import type { SubscribedApp } from 'src/modules/meta-gateway/meta-gateway.types';

import { WabaChanges } from './waba-changes';
import { observeFact } from './waba-facts';
import { WabaSubscriptionService } from './waba-subscription.service';
import { requireReauthorization } from './waba-transitions';
import { classifySubscription, type WebhooksFinding } from './waba-webhooks';
import { WabaWebhooksRepository } from './waba-webhooks.repository';
import type { WabaView } from './waba.types';
import {
  WabaConnection,
  WEBHOOK_SUBSCRIPTION_LEASE_MS,
  WEBHOOKS_CHECK_CLAIM_BATCH_SIZE,
  WEBHOOKS_CHECK_LEASE_MS,
  WebhooksStatus,
  WebhookSubscriptionStatus,
} from './wabas.constants';

/** Runs a Graph call in one of the caller's call slots (a round's concurrency limiter). */
export type CallSlot = <T>(call: () => Promise<T>) => Promise<T>;

/** What one run of the due webhooks checks did ({@link WabaWebhooksService.runDueChecks}). */
export interface WebhooksCheckRun {
  /** WABAs whose `subscribed_apps` was read and recorded. */
  checked: number;
  /** Of those, found without our app / with an override elsewhere. */
  missing: number;
  overridden: number;
  /** MISSING ones subscribed again (Meta accepted the POST). */
  resubscribed: number;
  /** Reads that failed (recorded, checked again later). */
  failed: number;
  /** Not read because Meta throttles the WABA: their claim runs out and a later round checks them. */
  skipped: number;
  /** Graph calls made: one read per WABA, one POST per repair. */
  metaCalls: number;
}

/**
 * The health of the WABAs' webhook deliveries (graph-api-2026.md §A.8, "webhooks never arrive"): the rounds
 * check each WABA's `GET /{waba}/subscribed_apps` once per WEBHOOKS_CHECK_INTERVAL_MINUTES (so every few
 * rounds, not each), record SUBSCRIBED / MISSING / OVERRIDDEN with where an override sends the deliveries,
 * and subscribe a MISSING one again with its token, which the read just proved valid. Every Graph call is
 * made outside a transaction: a claim (a short write moving the next check a lease ahead) comes first, then
 * the read, then the record in a transaction of its own, then the repair through
 * {@link WabaSubscriptionService.subscribe} as connect does it.
 */
@Injectable()
export class WabaWebhooksService {
  private readonly logger = new Logger(WabaWebhooksService.name);

  constructor(
    private readonly meta: MetaGateway,
    private readonly repository: WabaWebhooksRepository,
    private readonly changes: WabaChanges,
    private readonly subscriptions: WabaSubscriptionService,
    private readonly secrets: SecretBox,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  /**
   * Checks the WABAs whose check is due by `now` (the round's clock: their next check is planned one
   * interval after it), at most `limit` of them, claimed in batches (several instances share them). Each
   * Graph call runs in `slot`; outcomes are audited with `context`.
   */
  async runDueChecks(
    now: Date,
    context: ChangeContext,
    { limit, slot = (call) => call() }: { limit: number; slot?: CallSlot },
  ): Promise<WebhooksCheckRun> {
    const run = emptyRun();
    for (let taken = 0; taken < limit;) {
      const batch = await this.repository.claimDue(
        now,
        WEBHOOKS_CHECK_LEASE_MS,
        Math.min(WEBHOOKS_CHECK_CLAIM_BATCH_SIZE, limit - taken),
      );
      if (batch.length === 0) {
        break;
      }
      taken += batch.length;
      await Promise.all(
        batch.map((due) =>
          this.checkOne(due.wabaId, () => this.secrets.open(due.sealedToken), now, context, slot, run),
        ),
      );
    }
    return run;
  }

  /**
   * Checks one WABA's subscription now, with `token` (its own, which the caller just used): an on-demand
   * re-sync, where a person asked for Meta's view of this WABA, and whether its webhooks reach the platform
   * is part of it. Same record and repair as a round's check; the next check is planned one interval later.
   * Returns the WABA as last written (null when nothing was: Meta throttles it, or the read failed and its
   * failure is recorded). Must run outside any transaction; never throws for Meta's failures.
   */
  async checkNow(wabaId: string, token: string, context: ChangeContext): Promise<WabaView | null> {
    return this.checkOne(
      wabaId,
      () => token,
      new Date(),
      context,
      (call) => call(),
      emptyRun(),
    );
  }

  private async checkOne(
    wabaId: string,
    openToken: () => string,
    now: Date,
    context: ChangeContext,
    slot: CallSlot,
    run: WebhooksCheckRun,
  ): Promise<WabaView | null> {
    if (this.meta.throttledUntil(wabaId)) {
      run.skipped += 1;
      return null;
    }
    try {
      const token = openToken();
      const observedAt = new Date();
      let apps: SubscribedApp[];
      try {
        run.metaCalls += 1;
        apps = await slot(() => this.meta.getSubscribedApps(wabaId, token));
      } catch (error) {
        run.failed += 1;
        await this.recordFailedCheck(wabaId, error, now, context);
        return null;
      }
      const finding = classifySubscription(apps, this.config.get('meta.appId', { infer: true }), this.callbackUrl());
      run.checked += 1;
      run.missing += finding.status === WebhooksStatus.MISSING ? 1 : 0;
      run.overridden += finding.status === WebhooksStatus.OVERRIDDEN ? 1 : 0;
      const recorded = await this.recordCheck(wabaId, finding, observedAt, now, context);
      if (!recorded.repair) {
        return recorded.view;
      }
      run.metaCalls += 1;
      const attempt = await slot(() => this.subscriptions.requestSubscription(wabaId, token));
      run.resubscribed += attempt.failure === null ? 1 : 0;
      // Planned from the round's clock, as the check itself: this round does not claim the WABA again.
      return await this.subscriptions.recordAttempt(attempt, context, { nextCheckAt: this.afterInterval(now) });
    } catch (error) {
      // The database failed while recording: the claim runs out and a later round checks the WABA again.
      run.failed += 1;
      this.logger.error(`Webhooks check of WABA ${wabaId} failed: ${describe(error)}`);
      return null;
    }
  }

  /**
   * Records what a check found as of `observedAt` (unless a newer look, a subscription made meanwhile, says
   * otherwise) and plans the next check; a change of status or override is audited as WEBHOOKS_CHANGED.
   * `repair` says whether the WABA is to be subscribed again: its app is MISSING while its token and connection
   * stand (no uninstall nor removal reported). The subscription step is then due again under a short lease,
   * so the retry job completes it if this instance dies before its repair.
   */
  private async recordCheck(
    wabaId: string,
    finding: WebhooksFinding,
    observedAt: Date,
    now: Date,
    context: ChangeContext,
  ): Promise<{ repair: boolean; view: WabaView | null }> {
    let repair = false;
    const view = await this.changes.applyOne(wabaId, context, (waba) => {
      const before = { webhooks: waba.webhooksStatus, overrideUri: waba.webhooksOverrideUri };
      const applied = observeFact(waba, 'webhooks', observedAt, () => {
        waba.webhooksStatus = finding.status;
        waba.webhooksOverrideUri = finding.overrideUri;
      });
      if (!applied) {
        // The newer look planned the next check itself.
        return false;
      }
      waba.webhooksNextCheckAt = this.afterInterval(now);
      if (
        finding.status === WebhooksStatus.MISSING &&
        waba.connection === WabaConnection.CONNECTED &&
        waba.disconnectedReason === null
      ) {
        waba.subscriptionStatus = WebhookSubscriptionStatus.PENDING;
        waba.nextSubscriptionAttemptAt = new Date(Date.now() + WEBHOOK_SUBSCRIPTION_LEASE_MS);
        // Planned again once the subscription succeeds.
        waba.webhooksNextCheckAt = null;
        repair = true;
      }
      const changed = before.webhooks !== finding.status || before.overrideUri !== finding.overrideUri;
      // The first check of a WABA connected before these checks existed confirms what connect did: no news.
      if (changed && (before.webhooks !== null || finding.status !== WebhooksStatus.SUBSCRIBED)) {
        this.changes.recordFieldChange(waba, context, AuditEventType.WEBHOOKS_CHANGED, before, {
          webhooks: finding.status,
          overrideUri: finding.overrideUri,
        });
        return true;
      }
      return false;
    });
    return { repair, view };
  }

  /**
   * A failed read leaves the status as it was (a token or permission failure says nothing about the
   * webhooks, §A.8 step 5): a rejected token marks the connection REAUTH_REQUIRED, as every other Graph call
   * does; Meta down or throttling is checked again next round; anything else after a whole interval.
   */
  private async recordFailedCheck(wabaId: string, error: unknown, now: Date, context: ChangeContext): Promise<void> {
    const failedAt = new Date();
    const described = describeFailure(error);
    this.logger.warn(
      `Reading the webhook subscription of WABA ${wabaId} failed: ${described.classification} ${described.code ?? ''}`,
    );
    const retryMinutes = described.retryable
      ? this.config.get('scheduler.syncIntervalMinutes', { infer: true })
      : this.config.get('scheduler.webhooksCheckIntervalMinutes', { infer: true });
    await this.changes.applyOne(wabaId, context, (waba) => {
      waba.webhooksNextCheckAt = new Date(now.getTime() + retryMinutes * 60_000);
      return (
        error instanceof MetaGatewayException &&
        error.code === MetaGatewayErrorCode.AUTH_INVALID &&
        requireReauthorization(waba, failedAt)
      );
    });
  }

  private afterInterval(from: Date): Date {
    return new Date(
      from.getTime() + this.config.get('scheduler.webhooksCheckIntervalMinutes', { infer: true }) * 60_000,
    );
  }

  private callbackUrl(): string | null {
    return this.config.get('meta.webhookCallbackUrl', { infer: true });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error';
}

function emptyRun(): WebhooksCheckRun {
  return { checked: 0, missing: 0, overridden: 0, resubscribed: 0, failed: 0, skipped: 0, metaCalls: 0 };
}

import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { Transactions } from 'src/common/events/transactions';
import { Actors } from 'src/modules/organizations/actor';
import { AuditEventType } from 'src/modules/audit/audit.constants';
import { ChangeSource, type ChangeContext } from 'src/modules/audit/change-context';
import { MetaGateway } from 'src/modules/meta-gateway/meta-gateway';
import { MetaGatewayErrorCode, MetaGatewayException } from 'src/modules/meta-gateway/meta-gateway.exception';
import { retryAt } from 'src/common/retry/backoff';
import { describeFailure } from 'src/modules/meta-gateway/meta-failure.problem';

import { WabaChanges } from './waba-changes';
import { observeFact } from './waba-facts';
import type { Waba } from './waba.entity';
import { requireReauthorization } from './waba-transitions';
import { WabaRepository } from './waba.repository';
import { WabasService } from './wabas.service';
import {
  SUBSCRIPTION_RETRY_BASE_MS,
  WEBHOOK_SUBSCRIPTION_LEASE_MS,
  WebhooksStatus,
  WebhookSubscriptionStatus,
} from './wabas.constants';

/**
 * The app's webhook subscription to a WABA (`POST /{waba}/subscribed_apps`, product-spec §2.1), run after a
 * connection and by the durable retry job. The Graph call is made outside any transaction: the retry job
 * claims a due WABA by a short write (its due time moved forward by a lease), calls Meta, and records the
 * outcome in another short transaction, so a slow Meta holds no database connection and a crash leaves the
 * step due once the lease ends.
 */
@Injectable()
export class WabaSubscriptionService {
  private readonly logger = new Logger(WabaSubscriptionService.name);

  constructor(
    private readonly meta: MetaGateway,
    private readonly wabas: WabasService,
    private readonly repository: WabaRepository,
    private readonly changes: WabaChanges,
    private readonly transactions: Transactions,
    private readonly config: ConfigService<AllConfig, true>,
  ) {}

  /**
   * Subscribes the app to the WABA's webhooks with `token`, then records the attempt on the WABA; true when
   * Meta accepted it. The rounds check the subscription again at `nextCheckAt` (default: one
   * WEBHOOKS_CHECK_INTERVAL_MINUTES after now).
   */
  async subscribe(
    wabaId: string,
    token: string,
    context: ChangeContext,
    { nextCheckAt }: { nextCheckAt?: Date } = {},
  ): Promise<boolean> {
    let failure: unknown = null;
    const sentAt = new Date();
    try {
      await this.meta.subscribeApp(wabaId, token);
    } catch (error) {
      failure = error;
      const described = describeFailure(error);
      this.logger.warn(
        `Subscribing the app to WABA ${wabaId} failed: ${described.classification} ${described.code ?? ''}`,
      );
    }
    await this.recordSubscriptionAttempt(wabaId, failure, sentAt, nextCheckAt ?? this.afterInterval(sentAt), context);
    return failure === null;
  }

  /**
   * The durable retries of subscriptions that failed transiently or whose request died: claims the due WABAs
   * one at a time (FOR UPDATE SKIP LOCKED and a lease, so several instances share the work) and subscribes
   * each after its claim committed, at most `limit` of them. Audited as the system's.
   */
  async runDueSubscriptions(now: Date, limit: number): Promise<{ attempted: number }> {
    const context: ChangeContext = { source: ChangeSource.SYNC, actor: Actors.system };
    const leaseUntil = new Date(now.getTime() + WEBHOOK_SUBSCRIPTION_LEASE_MS);
    let attempted = 0;
    while (attempted < limit) {
      const due = await this.transactions.run(async () => {
        const waba = await this.repository.claimDueSubscription(now, leaseUntil);
        return waba ? { wabaId: waba.wabaId, token: await this.wabas.revealToken(waba) } : null;
      });
      if (!due) {
        break;
      }
      attempted++;
      await this.subscribe(due.wabaId, due.token, context);
    }
    return { attempted };
  }

  /**
   * The outcome of one subscription attempt: SUBSCRIBED, or FAILED with Meta's error and, when worth it, the
   * next attempt's time; a rejected token also marks the connection REAUTH_REQUIRED. A failure that arrives
   * after another attempt succeeded changes nothing. A success also says where the webhooks go as of
   * `sentAt` ({@link recordSubscribed}).
   */
  private async recordSubscriptionAttempt(
    wabaId: string,
    failure: unknown,
    sentAt: Date,
    nextCheckAt: Date,
    context: ChangeContext,
  ): Promise<void> {
    const attemptedAt = new Date();
    await this.changes.applyOne(wabaId, context, (waba) => {
      if (failure === null) {
        waba.subscriptionAttempts += 1;
        waba.subscriptionStatus = WebhookSubscriptionStatus.SUBSCRIBED;
        waba.subscriptionError = null;
        waba.nextSubscriptionAttemptAt = null;
        this.recordSubscribed(waba, sentAt, nextCheckAt, context);
        return true;
      }
      if (waba.subscriptionStatus === WebhookSubscriptionStatus.SUBSCRIBED) {
        // Another attempt succeeded while this one was failing: a stale failure must not undo it.
        return false;
      }
      const described = describeFailure(failure);
      waba.subscriptionAttempts += 1;
      waba.subscriptionStatus = WebhookSubscriptionStatus.FAILED;
      waba.subscriptionError = { code: described.code, message: described.message };
      waba.nextSubscriptionAttemptAt = described.retryable
        ? retryAt(waba.subscriptionAttempts, SUBSCRIPTION_RETRY_BASE_MS)
        : null;
      if (failure instanceof MetaGatewayException && failure.code === MetaGatewayErrorCode.AUTH_INVALID) {
        requireReauthorization(waba, attemptedAt);
      }
      return true;
    });
  }

  /**
   * Meta accepted `POST subscribed_apps`, which (without a body) also removes any override (§A.8): as of
   * `sentAt` our app gets the WABA's webhooks, and the rounds check that again at `nextCheckAt`. Audited
   * as WEBHOOKS_RESUBSCRIBED when a check had found the subscription missing or overridden.
   */
  private recordSubscribed(waba: Waba, sentAt: Date, nextCheckAt: Date, context: ChangeContext): void {
    const before = { webhooks: waba.webhooksStatus, overrideUri: waba.webhooksOverrideUri };
    const applied = observeFact(waba, 'webhooks', sentAt, () => {
      waba.webhooksStatus = WebhooksStatus.SUBSCRIBED;
      waba.webhooksOverrideUri = null;
    });
    if (!applied) {
      return;
    }
    waba.webhooksNextCheckAt = nextCheckAt;
    if (before.webhooks !== null && before.webhooks !== WebhooksStatus.SUBSCRIBED) {
      this.changes.recordFieldChange(waba, context, AuditEventType.WEBHOOKS_RESUBSCRIBED, before, {
        webhooks: WebhooksStatus.SUBSCRIBED,
        overrideUri: null,
      });
    }
  }

  private afterInterval(from: Date): Date {
    const intervalMinutes = this.config.get('scheduler.webhooksCheckIntervalMinutes', { infer: true });
    return new Date(from.getTime() + intervalMinutes * 60_000);
  }
}

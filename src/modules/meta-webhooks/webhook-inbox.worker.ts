import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';
import { describeError } from 'src/common/logging/describe-error';

import type { WebhookDelivery } from './handlers/webhook-change-context';
import { WebhookChangeDispatcher } from './handlers/webhook-change.dispatcher';
import {
  WEBHOOK_LEASE_RENEWALS_PER_LEASE,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_POLL_INTERVAL_MS,
  WEBHOOK_PROCESS_CONCURRENCY,
  WEBHOOK_RETRY_BASE_MS,
  WEBHOOK_RETRY_MAX_MS,
} from './meta-webhooks.constants';
import { routeWebhookChanges } from './webhook-change.router';
import { type WebhookInboxClaim, WebhookInboxRepository } from './webhook-inbox.repository';
import { WebhookIntakeLoad } from './webhook-intake.load';

/** Thrown where a worker finds that its claim on a row is gone: nothing of the row may be applied any more. */
class WebhookLeaseLostError extends Error {
  constructor(rowId: string) {
    super(`The lease on webhook ${rowId} was lost`);
    this.name = 'WebhookLeaseLostError';
  }
}

/**
 * Processes the webhook inbox asynchronously and durably, with several instances on one database.
 *
 * Work is claimed per WABA, not per row: a claim takes only the oldest unfinished row of an ordering key
 * (the WABA), so one WABA's deliveries are applied one at a time, oldest first, whichever instance stored
 * or processes them; a failed row keeps its WABA waiting until its retry (at most
 * {@link WEBHOOK_MAX_ATTEMPTS} attempts with back-off, minutes in all), and different WABAs run in
 * parallel lanes ({@link WEBHOOK_PROCESS_CONCURRENCY} per instance). One claim statement takes the heads
 * of as many WABAs as lanes are free; each claimed row keeps its own token, lease, fence and outcome.
 *
 * A claim carries a lease (`nextAttemptAt`, WEBHOOK_LEASE_MS) and a token. The lease is renewed
 * {@link WEBHOOK_LEASE_RENEWALS_PER_LEASE} times per lease while the row is worked on, so a slow Meta never
 * hands a live row to another instance; it runs out only when the holder is gone or stalled, and then the
 * row is claimed again with a new token. Every write a change makes checks the token first, inside its own
 * transaction and under a lock on the row (the change context's fence), and the row is finished only
 * under its token: an instance that lost its lease never applies and never marks done. Changes are
 * idempotent and older-never-wins (per-field "as of" times), so the new holder re-applying what the old
 * one committed before losing the lease changes nothing.
 */
@Injectable()
export class WebhookInboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookInboxWorker.name);
  private readonly instanceId = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly leaseMs: number;
  /** Rows being processed on this instance, one lane each (at most {@link WEBHOOK_PROCESS_CONCURRENCY}). */
  private readonly lanes = new Set<Promise<void>>();
  /** The claim statement in flight, if any: one at a time per instance, for as many heads as lanes are free. */
  private claiming: Promise<void> | null = null;
  /** Asked for work while a claim was in flight: claim again once it ends. */
  private wanted = false;
  private poller: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(
    private readonly em: EntityManager,
    private readonly inbox: WebhookInboxRepository,
    private readonly dispatcher: WebhookChangeDispatcher,
    private readonly intakeLoad: WebhookIntakeLoad,
    config: ConfigService<AllConfig, true>,
  ) {
    this.leaseMs = config.get('scheduler.webhookLeaseMs', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    // Deliveries stored by other instances, retries and expired leases are found by polling.
    this.poller = setInterval(() => this.fill(), WEBHOOK_POLL_INTERVAL_MS);
    this.fill();
  }

  /** Stops before the ORM closes (it closes in onApplicationShutdown), letting the current rows finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Asks for work now (a delivery was just stored). */
  kick(): void {
    this.fill();
  }

  /**
   * Claims heads for the free lanes, in one statement: up to {@link WEBHOOK_PROCESS_CONCURRENCY} rows of
   * different WABAs, each then processed in a lane of its own. A lane that finishes asks again, so a backlog
   * keeps every lane busy with about one claim per finished row (several at once when rows finish while a
   * claim is in flight), while an idle inbox costs one claim per poll.
   */
  private fill(): void {
    if (this.stopped) {
      return;
    }
    if (this.claiming) {
      this.wanted = true;
      return;
    }
    // During an intake burst, fewer lanes: the deliveries' 200s come first (WebhookIntakeLoad).
    const free = this.intakeLoad.processingLanes(WEBHOOK_PROCESS_CONCURRENCY) - this.lanes.size;
    if (free <= 0) {
      return;
    }
    this.wanted = false;
    this.claiming = this.claimAndStart(free)
      .catch((error: unknown) => {
        // The database may be briefly unreachable; the next poll tries again.
        this.logger.error(`Webhook inbox claim failed: ${describe(error)}`);
        return false;
      })
      .then((claimedAll) => {
        this.claiming = null;
        // Every free lane got a row (there may be more), or someone asked meanwhile: claim again.
        if (claimedAll || this.wanted) {
          this.fill();
        }
      });
  }

  /** Claims up to `count` heads and starts a lane for each; true when it got all it asked for. */
  private async claimAndStart(count: number): Promise<boolean> {
    const rows = await this.inbox.claimHeads(this.instanceId, this.leaseMs, count);
    for (const row of rows) {
      const lane: Promise<void> = this.processHeld(row)
        .catch((error: unknown) => {
          this.logger.error(`Webhook inbox lane failed on ${row.id}: ${describe(error)}`);
        })
        .finally(() => {
          this.lanes.delete(lane);
          this.fill();
        });
      this.lanes.add(lane);
    }
    return rows.length === count;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) {
      clearInterval(this.poller);
      this.poller = null;
    }
    // A claim in flight starts its lanes before it settles; then every lane is awaited.
    await this.claiming;
    await Promise.all([...this.lanes]);
  }

  /** Processes a claimed row while a heartbeat renews its lease; notes when the renewal finds it gone. */
  private async processHeld(row: WebhookInboxClaim): Promise<void> {
    const lease: { lost: boolean; renewing: Promise<void> | null } = { lost: false, renewing: null };
    const heartbeat = setInterval(
      () => {
        lease.renewing ??= this.inbox
          .renewLease(row, this.leaseMs)
          .then((held) => {
            lease.lost ||= !held;
          })
          .catch((error: unknown) => {
            // The fence still guards every write: if the lease runs out meanwhile, nothing is applied.
            this.logger.warn(`Renewing the lease on webhook ${row.id} failed: ${describe(error)}`);
          })
          .finally(() => {
            lease.renewing = null;
          });
      },
      Math.max(50, Math.floor(this.leaseMs / WEBHOOK_LEASE_RENEWALS_PER_LEASE)),
    );
    try {
      await this.processRow(row, () => lease.lost);
    } finally {
      clearInterval(heartbeat);
      await lease.renewing;
    }
  }

  private async processRow(row: WebhookInboxClaim, leaseLost: () => boolean): Promise<void> {
    if (row.attempts > WEBHOOK_MAX_ATTEMPTS) {
      // Claimed again and again without finishing (a crash each time): park it rather than loop.
      await this.inbox.markFailed(row, 'lease expired too often');
      return;
    }
    const startedAt = Date.now();
    const delivery: WebhookDelivery = {
      receivedAt: row.receivedAt,
      // Runs first inside each write's transaction, which the repository's check joins: an instance that
      // lost the row's lease never applies anything of it.
      fence: async () => {
        if (!(await this.inbox.holdsLease(row))) {
          throw new WebhookLeaseLostError(row.id);
        }
      },
    };
    try {
      const outcome = await RequestContext.create(this.em, async () => {
        const results: Array<{ field: string; event: string | null; wabaId: string | null; outcome: string }> = [];
        for (const change of routeWebhookChanges(row.payload)) {
          if (leaseLost()) {
            throw new WebhookLeaseLostError(row.id);
          }
          const result = await this.dispatcher.dispatch(change, delivery);
          results.push({ field: change.field, event: change.event, wabaId: change.wabaId, outcome: result });
        }
        return results;
      });
      if (!(await this.inbox.markDone(row, outcome))) {
        this.logger.warn(`Webhook ${row.id} was claimed elsewhere before it could be marked done`);
        return;
      }
      // Lag: from the moment the delivery was stored to the moment its changes are committed.
      const lagMs = Date.now() - row.receivedAt.getTime();
      this.logger.log(
        `Webhook ${row.id} processed in ${Date.now() - startedAt} ms (lag ${lagMs} ms): ` +
          outcome.map((item) => `${item.field}/${item.event ?? '-'}→${item.outcome}`).join(', '),
      );
    } catch (error) {
      if (error instanceof WebhookLeaseLostError) {
        // Another instance holds the row now and processes it from the start; nothing more happens here.
        this.logger.warn(`Webhook ${row.id}: lease lost while processing; left to its new holder`);
        return;
      }
      const exhausted = row.attempts >= WEBHOOK_MAX_ATTEMPTS;
      const lastError = describe(error);
      this.logger.warn(`Webhook ${row.id} attempt ${row.attempts} failed${exhausted ? ' for good' : ''}: ${lastError}`);
      if (exhausted) {
        await this.inbox.markFailed(row, lastError);
      } else {
        await this.inbox.scheduleRetry(
          row,
          lastError,
          Math.min(WEBHOOK_RETRY_MAX_MS, WEBHOOK_RETRY_BASE_MS * 2 ** (row.attempts - 1)),
        );
      }
    }
  }
}

/** Class and bounded message of what a lane caught, for its log lines and the row's `last_error`. */
function describe(error: unknown): string {
  const { type, message } = describeError(error);
  return message ? `${type}: ${message}` : type;
}

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';

import type { AllConfig } from 'config/config.type';

import {
  WEBHOOK_BATCH_LANES,
  WEBHOOK_BATCH_PER_WABA,
  WEBHOOK_BATCH_WABAS,
  WEBHOOK_LEASE_RENEWALS_PER_LEASE,
  WEBHOOK_POLL_INTERVAL_MS,
} from './meta-webhooks.constants';
import { type WebhookInboxClaim, WebhookInboxRepository } from './webhook-inbox.repository';
import { describe, type LaneLease, WebhookLaneProcessor } from './webhook-lane.processor';
import { WebhookIntakeLoad } from './webhook-intake.load';

/**
 * Processes the webhook inbox asynchronously and durably, with several instances on one database.
 *
 * Work is claimed per WABA, not per row: a claim takes the oldest unfinished row of an ordering key (the
 * WABA) with the key's next rows (its backlog, up to {@link WEBHOOK_BATCH_PER_WABA}), for many WABAs at once,
 * oldest heads first, so one WABA's deliveries are applied by one lane at a time, in order, whichever instance
 * stored or processes them; a failed row keeps its WABA waiting until its retry (at most WEBHOOK_MAX_ATTEMPTS
 * attempts with back-off, minutes in all). A claim fills the free lanes ({@link WEBHOOK_BATCH_LANES} per
 * instance) with up to {@link WEBHOOK_BATCH_WABAS} WABAs each; a lane applies its WABAs' rows in one
 * transaction (WebhookLaneProcessor), so a backlog spread over thousands of WABAs drains a batch at a time
 * and a delivery arriving behind it waits for a few batches, not for thousands of transactions.
 *
 * A claim carries a lease (`nextAttemptAt`, WEBHOOK_LEASE_MS) and a token per row. A lane's leases are renewed
 * {@link WEBHOOK_LEASE_RENEWALS_PER_LEASE} times per lease, with one statement, while its rows are worked on,
 * so a slow Meta never hands a live row to another instance; they run out only when the holder is gone or
 * stalled, and then the rows are claimed again with new tokens. Every write checks the tokens first, inside
 * its transaction and under a lock on the rows (the change context's fence, or the batch's check), and rows
 * are finished only under their tokens: an instance that lost its lease never applies and never marks done.
 * Changes are idempotent and older-never-wins (per-field "as of" times), so the new holder re-applying what
 * the old one committed before losing the lease changes nothing.
 */
@Injectable()
export class WebhookInboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookInboxWorker.name);
  private readonly instanceId = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly leaseMs: number;
  /** Batches being processed on this instance, one lane each (at most {@link WEBHOOK_BATCH_LANES}). */
  private readonly lanes = new Set<Promise<void>>();
  /** The claim statement in flight, if any: one at a time per instance, for as many lanes as are free. */
  private claiming: Promise<void> | null = null;
  /** Asked for work while a claim was in flight: claim again once it ends. */
  private wanted = false;
  /** The last claim took all it asked for: rows may be left, so the next claim does not wait to gather. */
  private backlogLeft = false;
  /** Ends the gathering of stored deliveries during a burst (see WebhookIntakeLoad.claimDelayMs). */
  private gatherTimer: NodeJS.Timeout | null = null;
  private poller: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(
    private readonly inbox: WebhookInboxRepository,
    private readonly processor: WebhookLaneProcessor,
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
    this.intakeLoad.noteStored();
    this.fill();
  }

  /**
   * Claims for the free lanes, in one statement: up to {@link WEBHOOK_BATCH_WABAS} WABAs per free lane, with
   * their backlogs, then split by WABA over the lanes. A lane that finishes asks again, so a backlog keeps
   * every lane busy with about one claim per finished batch, while an idle inbox costs one claim per poll.
   * During an intake burst the claim waits (tens of milliseconds at most) until a batch's worth of deliveries
   * were stored, unless the last claim left rows behind.
   */
  private fill(): void {
    if (this.stopped) {
      return;
    }
    if (this.claiming) {
      this.wanted = true;
      return;
    }
    const free = this.intakeLoad.processingLanes(WEBHOOK_BATCH_LANES) - this.lanes.size;
    if (free <= 0) {
      return;
    }
    const delayMs = this.backlogLeft ? 0 : this.intakeLoad.claimDelayMs();
    if (delayMs > 0) {
      this.gatherTimer ??= setTimeout(() => {
        this.gatherTimer = null;
        this.fill();
      }, delayMs);
      return;
    }
    this.clearGatherTimer();
    this.intakeLoad.noteClaim();
    this.wanted = false;
    this.claiming = this.claimAndStart(free)
      .catch((error: unknown) => {
        // The database may be briefly unreachable; the next poll tries again.
        this.logger.error(`Webhook inbox claim failed: ${describe(error)}`);
        return false;
      })
      .then((claimedAll) => {
        this.claiming = null;
        this.backlogLeft = claimedAll;
        // Every free lane got a full batch (there may be more), or someone asked meanwhile: claim again.
        if (claimedAll || this.wanted) {
          this.fill();
        }
      });
  }

  /** Claims for `free` lanes and starts a lane per share of the WABAs; true when it got all it asked for. */
  private async claimAndStart(free: number): Promise<boolean> {
    const wanted = free * WEBHOOK_BATCH_WABAS;
    const rows = await this.inbox.claimBatch(this.instanceId, this.leaseMs, wanted, WEBHOOK_BATCH_PER_WABA);
    const keys = [...new Set(rows.map((row) => row.orderingKey))];
    // A few WABAs are spread over the free lanes (in parallel); a backlog fills each lane's batch.
    const perLane = Math.max(1, Math.ceil(keys.length / free));
    for (let start = 0; start < keys.length; start += perLane) {
      const share = new Set(keys.slice(start, start + perLane));
      const claims = rows.filter((row) => share.has(row.orderingKey));
      const lane: Promise<void> = this.processHeld(claims)
        .catch((error: unknown) => {
          this.logger.error(`Webhook inbox lane failed on ${claims.length} rows: ${describe(error)}`);
        })
        .finally(() => {
          this.lanes.delete(lane);
          this.fill();
        });
      this.lanes.add(lane);
    }
    return keys.length === wanted;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) {
      clearInterval(this.poller);
      this.poller = null;
    }
    this.clearGatherTimer();
    // A claim in flight starts its lanes before it settles; then every lane is awaited.
    await this.claiming;
    await Promise.all([...this.lanes]);
  }

  private clearGatherTimer(): void {
    if (this.gatherTimer) {
      clearTimeout(this.gatherTimer);
      this.gatherTimer = null;
    }
  }

  /** Processes a lane's rows while a heartbeat renews their leases; notes the rows a renewal finds gone. */
  private async processHeld(claims: WebhookInboxClaim[]): Promise<void> {
    const held = new Map(claims.map((claim) => [claim.id, claim]));
    const lost = new Set<string>();
    const state: { renewing: Promise<void> | null } = { renewing: null };
    const lease: LaneLease = {
      isLost: (rowId) => lost.has(rowId),
      release: (rows) => rows.forEach((row) => held.delete(row.id)),
    };
    const heartbeat = setInterval(
      () => {
        state.renewing ??= this.inbox
          .renewLeases([...held.values()], this.leaseMs)
          .then((kept) => {
            for (const rowId of held.keys()) {
              if (!kept.has(rowId)) {
                lost.add(rowId);
              }
            }
          })
          .catch((error: unknown) => {
            // The fence still guards every write: if the leases run out meanwhile, nothing is applied.
            this.logger.warn(`Renewing the leases of ${held.size} webhooks failed: ${describe(error)}`);
          })
          .finally(() => {
            state.renewing = null;
          });
      },
      Math.max(50, Math.floor(this.leaseMs / WEBHOOK_LEASE_RENEWALS_PER_LEASE)),
    );
    try {
      await this.processor.process(claims, lease);
    } finally {
      clearInterval(heartbeat);
      await state.renewing;
    }
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
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

import type { WebhookDelivery } from './handlers/webhook-change-context';
import { WebhookChangeDispatcher } from './handlers/webhook-change.dispatcher';
import {
  WEBHOOK_LEASE_RENEWALS_PER_LEASE,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_POLL_INTERVAL_MS,
  WEBHOOK_PROCESS_CONCURRENCY,
  WEBHOOK_RETRY_BASE_MS,
  WEBHOOK_RETRY_MAX_MS,
  WebhookInboxStatus,
} from './meta-webhooks.constants';
import { routeWebhookChanges } from './webhook-change.router';

/** A claimed inbox row with the token of the claim. */
interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
  receivedAt: Date;
  leaseToken: string;
}

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
 * parallel lanes ({@link WEBHOOK_PROCESS_CONCURRENCY} per instance).
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
  /** Lanes running on this instance (each claims and processes one row at a time). */
  private readonly lanes = new Set<Promise<void>>();
  private poller: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(
    private readonly em: EntityManager,
    private readonly dispatcher: WebhookChangeDispatcher,
    config: ConfigService<AllConfig, true>,
  ) {
    this.leaseMs = config.get('scheduler.webhookLeaseMs', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    // Deliveries stored by other instances, retries and expired leases are found by polling.
    this.poller = setInterval(() => this.startLane(), WEBHOOK_POLL_INTERVAL_MS);
    this.startLane();
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
    this.startLane();
  }

  /**
   * Starts one more lane unless {@link WEBHOOK_PROCESS_CONCURRENCY} already run. A lane claims and
   * processes rows until none is claimable, and every successful claim starts another lane: a backlog fans
   * out to all lanes, while an idle inbox costs one claim per poll.
   */
  private startLane(): void {
    if (this.stopped || this.lanes.size >= WEBHOOK_PROCESS_CONCURRENCY) {
      return;
    }
    const lane: Promise<void> = this.runLane()
      .catch((error: unknown) => {
        // The database may be briefly unreachable; the next poll tries again.
        this.logger.error(`Webhook inbox lane failed: ${describe(error)}`);
      })
      .finally(() => {
        this.lanes.delete(lane);
      });
    this.lanes.add(lane);
  }

  private async runLane(): Promise<void> {
    while (!this.stopped) {
      const row = await this.claim();
      if (!row) {
        return;
      }
      this.startLane();
      await this.processHeld(row);
    }
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) {
      clearInterval(this.poller);
      this.poller = null;
    }
    await Promise.all([...this.lanes]);
  }

  /**
   * Claims the oldest due row that heads its ordering key: no older row of the same key is pending or
   * being processed (a row whose lease ran out is due again and still heads its key). SKIP LOCKED lets
   * lanes and instances claim side by side; the partial queue index serves the head check.
   */
  private async claim(): Promise<ClaimedRow | null> {
    const leaseToken = randomUUID();
    const rows: Array<{ id: string; payload: unknown; attempts: number; created_at: string | Date }> = await this.em
      .getConnection()
      .execute(
        `UPDATE webhook_inbox AS w
            SET status = ?, attempts = w.attempts + 1, locked_by = ?, lease_token = ?,
                next_attempt_at = clock_timestamp() + (? * interval '1 millisecond'), updated_at = now()
          WHERE w.id = (
                SELECT h.id FROM webhook_inbox h
                 WHERE h.status IN (?, ?) AND h.next_attempt_at <= now()
                   AND NOT EXISTS (
                       SELECT 1 FROM webhook_inbox o
                        WHERE o.ordering_key = h.ordering_key AND o.status IN (?, ?)
                          AND (o.created_at, o.id) < (h.created_at, h.id))
                 ORDER BY h.created_at, h.id
                 LIMIT 1
                   FOR UPDATE SKIP LOCKED)
      RETURNING w.id, w.payload, w.attempts, w.created_at`,
        [
          WebhookInboxStatus.PROCESSING,
          this.instanceId,
          leaseToken,
          this.leaseMs,
          WebhookInboxStatus.PENDING,
          WebhookInboxStatus.PROCESSING,
          WebhookInboxStatus.PENDING,
          WebhookInboxStatus.PROCESSING,
        ],
      );
    const [row] = rows;
    // The driver hands timestamps back as strings (UTC) or Dates depending on configuration.
    return row
      ? { id: row.id, payload: row.payload, attempts: row.attempts, receivedAt: new Date(row.created_at), leaseToken }
      : null;
  }

  /** Processes a claimed row while a heartbeat renews its lease; notes when the renewal finds it gone. */
  private async processHeld(row: ClaimedRow): Promise<void> {
    const lease: { lost: boolean; renewing: Promise<void> | null } = { lost: false, renewing: null };
    const heartbeat = setInterval(
      () => {
        lease.renewing ??= this.renew(row)
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

  private async processRow(row: ClaimedRow, leaseLost: () => boolean): Promise<void> {
    if (row.attempts > WEBHOOK_MAX_ATTEMPTS) {
      // Claimed again and again without finishing (a crash each time): park it rather than loop.
      await this.finish(row, WebhookInboxStatus.FAILED, { lastError: 'lease expired too often' });
      return;
    }
    const startedAt = Date.now();
    const delivery: WebhookDelivery = {
      receivedAt: row.receivedAt,
      fence: (em) => this.assertLeaseHeld(em, row),
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
      if (!(await this.finish(row, WebhookInboxStatus.DONE, { outcome }))) {
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
      this.logger.warn(
        `Webhook ${row.id} attempt ${row.attempts} failed${exhausted ? ' for good' : ''}: ${describe(error)}`,
      );
      await this.finish(row, exhausted ? WebhookInboxStatus.FAILED : WebhookInboxStatus.PENDING, {
        lastError: describe(error),
        retryInMs: Math.min(WEBHOOK_RETRY_MAX_MS, WEBHOOK_RETRY_BASE_MS * 2 ** (row.attempts - 1)),
      });
    }
  }

  /**
   * The fence every write of a change runs first, inside its transaction: the row must still carry this
   * claim's token and an unexpired lease. The KEY SHARE lock keeps the row from being claimed (claims skip
   * locked rows) until the write commits, while the heartbeat can still renew it.
   */
  private async assertLeaseHeld(em: EntityManager, row: ClaimedRow): Promise<void> {
    const held = await em.execute(
      `SELECT 1 FROM webhook_inbox
        WHERE id = ? AND lease_token = ? AND status = ? AND next_attempt_at > clock_timestamp()
          FOR KEY SHARE`,
      [row.id, row.leaseToken, WebhookInboxStatus.PROCESSING],
    );
    if (held.length === 0) {
      throw new WebhookLeaseLostError(row.id);
    }
  }

  /** Extends the lease of a row this claim still holds; false when the row was claimed elsewhere meanwhile. */
  private async renew(row: ClaimedRow): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      `UPDATE webhook_inbox SET next_attempt_at = clock_timestamp() + (? * interval '1 millisecond')
        WHERE id = ? AND lease_token = ? AND status = ?
    RETURNING id`,
      [this.leaseMs, row.id, row.leaseToken, WebhookInboxStatus.PROCESSING],
    );
    return rows.length > 0;
  }

  /** Ends the claim under its token; false (and nothing written) when the row was claimed elsewhere. */
  private async finish(
    row: ClaimedRow,
    status: WebhookInboxStatus,
    details: { outcome?: unknown; lastError?: string; retryInMs?: number },
  ): Promise<boolean> {
    const rows: unknown[] = await this.em.getConnection().execute(
      `UPDATE webhook_inbox
          SET status = ?, locked_by = NULL, lease_token = NULL, updated_at = now(),
              processed_at = CASE WHEN ? THEN now() ELSE processed_at END,
              outcome = COALESCE(?::jsonb, outcome), last_error = ?,
              next_attempt_at = now() + (? * interval '1 millisecond')
        WHERE id = ? AND lease_token = ? AND status = ?
    RETURNING id`,
      [
        status,
        status === WebhookInboxStatus.DONE,
        details.outcome === undefined ? null : JSON.stringify(details.outcome),
        details.lastError?.slice(0, 1024) ?? null,
        details.retryInMs ?? 0,
        row.id,
        row.leaseToken,
        WebhookInboxStatus.PROCESSING,
      ],
    );
    return rows.length > 0;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error';
}

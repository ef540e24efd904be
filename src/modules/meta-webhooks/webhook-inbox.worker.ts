import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';

import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { WebhookChangeDispatcher } from './handlers/webhook-change.dispatcher';
import {
  WEBHOOK_CLAIM_BATCH_SIZE,
  WEBHOOK_PROCESS_CONCURRENCY,
  WEBHOOK_LEASE_MS,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_POLL_INTERVAL_MS,
  WEBHOOK_RETRY_BASE_MS,
  WEBHOOK_RETRY_MAX_MS,
  WebhookInboxStatus,
} from './meta-webhooks.constants';
import { routeWebhookChanges } from './webhook-change.router';

/** A claimed inbox row. */
interface ClaimedRow {
  id: string;
  payload: unknown;
  attempts: number;
  receivedAt: Date;
}

/**
 * Processes the webhook inbox asynchronously and durably. Each round claims a batch of due rows with
 * `FOR UPDATE SKIP LOCKED` and a lease (PROCESSING until `nextAttemptAt`), so several instances share the
 * work and a row claimed by a killed process becomes due again when its lease expires. Rows are processed
 * in arrival order, each in its own ORM context; success marks them DONE with the per-change outcome,
 * failure puts them back with exponential back-off, and after {@link WEBHOOK_MAX_ATTEMPTS} they are kept
 * as FAILED. Runs every {@link WEBHOOK_POLL_INTERVAL_MS} and at once when a delivery is stored.
 */
@Injectable()
export class WebhookInboxWorker implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookInboxWorker.name);
  private readonly instanceId = `${hostname().slice(0, 40)}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private kickedWhileRunning = false;
  private stopped = true;

  constructor(
    private readonly em: EntityManager,
    private readonly dispatcher: WebhookChangeDispatcher,
  ) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops before the ORM closes (it closes in onApplicationShutdown), letting the current row finish. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Asks for a round now (a delivery was just stored). */
  kick(): void {
    if (!this.stopped) {
      this.schedule(0);
    }
  }

  /**
   * Claims and processes due rows until none is left (or the worker stops); returns how many rows were
   * processed. Exposed for tests and operators; the timer calls it too.
   */
  async drain(): Promise<number> {
    let processed = 0;
    while (!this.stopped) {
      const rows = await this.claim();
      if (rows.length === 0) {
        return processed;
      }
      processed += await this.processBatch(rows);
    }
    return processed;
  }

  /**
   * Deliveries about different WABAs are independent, so a batch is split by WABA and up to
   * WEBHOOK_PROCESS_CONCURRENCY WABAs are processed at once; each WABA's deliveries stay in arrival order.
   * Rows not started when the worker stops are handed back.
   */
  private async processBatch(rows: ClaimedRow[]): Promise<number> {
    const queues = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const key = routeWebhookChanges(row.payload)[0]?.wabaId ?? `row:${row.id}`;
      queues.set(key, [...(queues.get(key) ?? []), row]);
    }
    const pending = [...queues.values()];
    const unstarted: ClaimedRow[] = [];
    let processed = 0;
    const lane = async (): Promise<void> => {
      for (let queue = pending.shift(); queue; queue = pending.shift()) {
        for (const [index, row] of queue.entries()) {
          if (this.stopped) {
            unstarted.push(...queue.slice(index));
            break;
          }
          await this.processRow(row);
          processed++;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WEBHOOK_PROCESS_CONCURRENCY, pending.length) }, lane));
    if (unstarted.length > 0) {
      await this.release(unstarted);
    }
    return processed;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.running) {
      this.kickedWhileRunning = true;
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => this.tick(), delayMs);
  }

  private tick(): void {
    this.timer = null;
    this.kickedWhileRunning = false;
    this.running = this.drain()
      .then(() => undefined)
      .catch((error: unknown) => {
        // The database may be briefly unreachable; the next round tries again.
        this.logger.error(`Webhook inbox round failed: ${describe(error)}`);
      })
      .finally(() => {
        this.running = null;
        if (!this.stopped) {
          this.schedule(this.kickedWhileRunning ? 0 : WEBHOOK_POLL_INTERVAL_MS);
        }
      });
  }

  private async claim(): Promise<ClaimedRow[]> {
    const rows: Array<{ id: string; payload: unknown; attempts: number; created_at: string | Date }> = await this.em
      .getConnection()
      .execute(
        `UPDATE webhook_inbox AS w
          SET status = ?, attempts = w.attempts + 1, locked_by = ?,
              next_attempt_at = now() + (? * interval '1 millisecond'), updated_at = now()
        WHERE w.id IN (SELECT id FROM webhook_inbox
                        WHERE status IN (?, ?) AND next_attempt_at <= now()
                        ORDER BY created_at, id
                        LIMIT ?
                        FOR UPDATE SKIP LOCKED)
    RETURNING w.id, w.payload, w.attempts, w.created_at`,
        [
          WebhookInboxStatus.PROCESSING,
          this.instanceId,
          WEBHOOK_LEASE_MS,
          WebhookInboxStatus.PENDING,
          WebhookInboxStatus.PROCESSING,
          WEBHOOK_CLAIM_BATCH_SIZE,
        ],
      );
    // The driver hands timestamps back as strings (UTC) or Dates depending on configuration.
    return rows
      .map((row) => ({
        id: row.id,
        payload: row.payload,
        attempts: row.attempts,
        receivedAt: new Date(row.created_at),
      }))
      .sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime() || a.id.localeCompare(b.id));
  }

  private async processRow(row: ClaimedRow): Promise<void> {
    if (row.attempts > WEBHOOK_MAX_ATTEMPTS) {
      // Claimed again and again without finishing (a crash each time): park it rather than loop.
      await this.finish(row, WebhookInboxStatus.FAILED, { lastError: 'lease expired too often' });
      return;
    }
    const startedAt = Date.now();
    try {
      const outcome = await RequestContext.create(this.em, async () => {
        const results: Array<{ field: string; event: string | null; wabaId: string | null; outcome: string }> = [];
        for (const change of routeWebhookChanges(row.payload)) {
          const result = await this.dispatcher.dispatch(change, row.receivedAt);
          results.push({ field: change.field, event: change.event, wabaId: change.wabaId, outcome: result });
        }
        return results;
      });
      await this.finish(row, WebhookInboxStatus.DONE, { outcome });
      // Lag: from the moment the delivery was stored to the moment its changes are committed.
      const lagMs = Date.now() - row.receivedAt.getTime();
      this.logger.log(
        `Webhook ${row.id} processed in ${Date.now() - startedAt} ms (lag ${lagMs} ms): ` +
          outcome.map((item) => `${item.field}/${item.event ?? '-'}→${item.outcome}`).join(', '),
      );
    } catch (error) {
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

  private async finish(
    row: ClaimedRow,
    status: WebhookInboxStatus,
    details: { outcome?: unknown; lastError?: string; retryInMs?: number },
  ): Promise<void> {
    // Guarded by the lease holder: a row whose lease expired and was claimed elsewhere is left alone.
    await this.em.getConnection().execute(
      `UPDATE webhook_inbox
          SET status = ?, locked_by = NULL, updated_at = now(),
              processed_at = CASE WHEN ? THEN now() ELSE processed_at END,
              outcome = COALESCE(?::jsonb, outcome), last_error = ?,
              next_attempt_at = now() + (? * interval '1 millisecond')
        WHERE id = ? AND locked_by = ?`,
      [
        status,
        status === WebhookInboxStatus.DONE,
        details.outcome === undefined ? null : JSON.stringify(details.outcome),
        details.lastError?.slice(0, 1024) ?? null,
        details.retryInMs ?? 0,
        row.id,
        this.instanceId,
      ],
    );
  }

  /** Hands claimed rows back at shutdown so that the next instance need not wait for the lease. */
  private async release(rows: ClaimedRow[]): Promise<void> {
    await this.em.getConnection().execute(
      `UPDATE webhook_inbox SET status = ?, attempts = attempts - 1, locked_by = NULL, next_attempt_at = now(),
              updated_at = now()
        WHERE id IN (${rows.map(() => '?').join(', ')}) AND locked_by = ?`,
      [WebhookInboxStatus.PENDING, ...rows.map((row) => row.id), this.instanceId],
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unexpected error';
}

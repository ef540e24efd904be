import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable, Logger } from '@nestjs/common';

import { Transactions } from 'src/common/events/transactions';
import { describeError } from 'src/common/logging/describe-error';

import type { WebhookDelivery } from './handlers/webhook-change-context';
import { WebhookChangeDispatcher } from './handlers/webhook-change.dispatcher';
import {
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_BASE_MS,
  WEBHOOK_RETRY_MAX_MS,
  WEBHOOK_SINGLE_CONCURRENCY,
} from './meta-webhooks.constants';
import { type RoutedChange, routeWebhookChanges } from './webhook-change.router';
import { type WebhookInboxClaim, WebhookInboxRepository } from './webhook-inbox.repository';

/** Thrown where a worker finds that its claim on a row is gone: nothing of the row may be applied any more. */
export class WebhookLeaseLostError extends Error {
  constructor(rowId: string) {
    super(`The lease on webhook ${rowId} was lost`);
    this.name = 'WebhookLeaseLostError';
  }
}

/** What the lane knows of its claims' leases (renewed by the worker's heartbeat). */
export interface LaneLease {
  /** Whether a renewal found the row claimed elsewhere. */
  isLost(rowId: string): boolean;
  /** The rows are finished (or handed back): the heartbeat stops renewing them. */
  release(rows: readonly WebhookInboxClaim[]): void;
}

/** How one row ended when applied alone. */
type RowEnd = 'DONE' | 'RETRY' | 'FAILED' | 'LOST';

/** What one change of a delivery came to, as the row's `outcome` keeps it. */
interface ChangeResult {
  field: string;
  event: string | null;
  wabaId: string | null;
  outcome: string;
}

/**
 * Applies the rows a worker lane claimed: whole WABA backlogs of several WABAs (see
 * WebhookInboxRepository.claimBatch), each WABA's rows in delivery order.
 *
 * The rows whose changes need no read of Meta are applied together, in ONE transaction: the rows' leases are
 * checked (and locked against new claims) with one statement, the batch's WABAs are locked with one statement
 * in WABA-ID order (no deadlock between lanes or instances) and read as plain rows, each WABA's changes run
 * through the owners' commands in delivery order (their as-of rules keep an older event from overriding a newer
 * one, inside a batch as across batches), the changed WABAs and their audit records are written by multi-row
 * statements before the commit (WabasService.inBatch), the rows
 * are marked DONE by one statement in the same transaction, and the domain events are published after the
 * commit. When the batch fails, nothing of it is kept and its rows are applied again one at a time, each in
 * its own transactions with the retry, FAILED and lease semantics of a single row; so are the rows that read
 * Meta (no Graph call runs inside a transaction) and everything after them in their WABA. A row that fails
 * and waits for its retry hands the later rows of its WABA back unapplied: they wait behind it.
 */
@Injectable()
export class WebhookLaneProcessor {
  private readonly logger = new Logger(WebhookLaneProcessor.name);

  constructor(
    private readonly em: EntityManager,
    private readonly inbox: WebhookInboxRepository,
    private readonly dispatcher: WebhookChangeDispatcher,
    private readonly transactions: Transactions,
  ) {}

  /** Applies a lane's claims (in (created_at, id) order, whole WABA backlogs), batch first, then one at a time. */
  async process(claims: readonly WebhookInboxClaim[], lease: LaneLease): Promise<void> {
    const changes = new Map(claims.map((claim) => [claim.id, routeWebhookChanges(claim.payload)]));
    const batch: WebhookInboxClaim[] = [];
    const alone = new Map<string, WebhookInboxClaim[]>();
    for (const [key, rows] of groupByKey(claims)) {
      // A WABA's rows join the batch up to the first that must be applied alone; the rest follow it alone.
      let index = 0;
      while (index < rows.length && this.batchable(rows[index], changes.get(rows[index].id) ?? [])) {
        batch.push(rows[index]);
        index += 1;
      }
      alone.set(key, rows.slice(index));
    }
    if (batch.length > 0 && !(await this.applyBatch(batch, changes, lease))) {
      for (const [key, rows] of groupByKey(batch)) {
        alone.set(key, [...rows, ...(alone.get(key) ?? [])]);
      }
    }
    await forEachLimited([...alone.values()], WEBHOOK_SINGLE_CONCURRENCY, (rows) => this.processAlone(rows, lease));
  }

  private batchable(row: WebhookInboxClaim, changes: readonly RoutedChange[]): boolean {
    return row.attempts <= WEBHOOK_MAX_ATTEMPTS && !changes.some((change) => this.dispatcher.readsMeta(change));
  }

  /** Applies the rows in one transaction; false (nothing kept) when it failed. */
  private async applyBatch(
    rows: readonly WebhookInboxClaim[],
    changes: ReadonlyMap<string, RoutedChange[]>,
    lease: LaneLease,
  ): Promise<boolean> {
    const startedAt = Date.now();
    try {
      await RequestContext.create(this.em, () =>
        this.transactions.run(async () => {
          // Locks the rows against new claims until the commit; a renewal can still extend them.
          if ((await this.inbox.holdLeases(rows)).size < rows.length) {
            throw new WebhookLeaseLostError(`batch of ${rows.length}`);
          }
          const all = rows.flatMap((row) => changes.get(row.id) ?? []);
          const finished = await this.dispatcher.inBatch(all, async () => {
            const results: Array<{ claim: WebhookInboxClaim; outcome: ChangeResult[] }> = [];
            for (const row of rows) {
              results.push({ claim: row, outcome: await this.applyChanges(row, changes.get(row.id) ?? [], lease) });
            }
            return results;
          });
          if ((await this.inbox.markAllDone(finished)) < finished.length) {
            throw new WebhookLeaseLostError(`batch of ${rows.length}`);
          }
        }),
      );
    } catch (error) {
      this.logger.warn(
        `Webhook batch of ${rows.length} deliveries failed (${describe(error)}); applying them one at a time`,
      );
      return false;
    }
    lease.release(rows);
    const oldest = Math.min(...rows.map((row) => row.receivedAt.getTime()));
    this.logger.log(
      `Webhook batch of ${rows.length} deliveries processed in ${Date.now() - startedAt} ms ` +
        `(lag up to ${Date.now() - oldest} ms)`,
    );
    return true;
  }

  /** Applies a row's changes in order, inside the caller's transaction or each in its own. */
  private async applyChanges(
    row: WebhookInboxClaim,
    changes: readonly RoutedChange[],
    lease: LaneLease,
    fence?: () => Promise<void>,
  ): Promise<ChangeResult[]> {
    const delivery: WebhookDelivery = {
      receivedAt: row.receivedAt,
      // A batch checked every row's lease under a lock at its start; a row alone checks it in each write.
      fence: async () => {
        if (lease.isLost(row.id)) {
          throw new WebhookLeaseLostError(row.id);
        }
        await fence?.();
      },
    };
    const results: ChangeResult[] = [];
    for (const change of changes) {
      if (lease.isLost(row.id)) {
        throw new WebhookLeaseLostError(row.id);
      }
      const outcome = await this.dispatcher.dispatch(change, delivery);
      results.push({ field: change.field, event: change.event, wabaId: change.wabaId, outcome });
    }
    return results;
  }

  /** One WABA's rows, one at a time in order; a row waiting for its retry hands the later ones back. */
  private async processAlone(rows: readonly WebhookInboxClaim[], lease: LaneLease): Promise<void> {
    for (const [index, row] of rows.entries()) {
      const end = await this.processRow(row, lease).finally(() => lease.release([row]));
      if (end === 'RETRY' || end === 'LOST') {
        const later = rows.slice(index + 1);
        await this.inbox.handBack(later).finally(() => lease.release(later));
        return;
      }
    }
  }

  private async processRow(row: WebhookInboxClaim, lease: LaneLease): Promise<RowEnd> {
    if (row.attempts > WEBHOOK_MAX_ATTEMPTS) {
      // Claimed again and again without finishing (a crash each time): park it rather than loop.
      await this.inbox.markFailed(row, 'lease expired too often');
      return 'FAILED';
    }
    const startedAt = Date.now();
    try {
      const outcome = await RequestContext.create(this.em, () =>
        this.applyChanges(row, routeWebhookChanges(row.payload), lease, async () => {
          // Runs first inside each write's transaction, which the repository's check joins: an instance that
          // lost the row's lease never applies anything of it.
          if (!(await this.inbox.holdsLease(row))) {
            throw new WebhookLeaseLostError(row.id);
          }
        }),
      );
      if (!(await this.inbox.markDone(row, outcome))) {
        this.logger.warn(`Webhook ${row.id} was claimed elsewhere before it could be marked done`);
        return 'LOST';
      }
      // Lag: from the moment the delivery was stored to the moment its changes are committed.
      const lagMs = Date.now() - row.receivedAt.getTime();
      this.logger.log(
        `Webhook ${row.id} processed in ${Date.now() - startedAt} ms (lag ${lagMs} ms): ` +
          outcome.map((item) => `${item.field}/${item.event ?? '-'}→${item.outcome}`).join(', '),
      );
      return 'DONE';
    } catch (error) {
      if (error instanceof WebhookLeaseLostError) {
        // Another instance holds the row now and processes it from the start; nothing more happens here.
        this.logger.warn(`Webhook ${row.id}: lease lost while processing; left to its new holder`);
        return 'LOST';
      }
      const exhausted = row.attempts >= WEBHOOK_MAX_ATTEMPTS;
      const lastError = describe(error);
      this.logger.warn(`Webhook ${row.id} attempt ${row.attempts} failed${exhausted ? ' for good' : ''}: ${lastError}`);
      if (exhausted) {
        await this.inbox.markFailed(row, lastError);
        return 'FAILED';
      }
      await this.inbox.scheduleRetry(
        row,
        lastError,
        Math.min(WEBHOOK_RETRY_MAX_MS, WEBHOOK_RETRY_BASE_MS * 2 ** (row.attempts - 1)),
      );
      return 'RETRY';
    }
  }
}

/** The rows by ordering key, each key's rows in the order given, keys in the order of their first row. */
function groupByKey(rows: readonly WebhookInboxClaim[]): Map<string, WebhookInboxClaim[]> {
  const byKey = new Map<string, WebhookInboxClaim[]>();
  for (const row of rows) {
    const list = byKey.get(row.orderingKey);
    if (list) {
      list.push(row);
    } else {
      byKey.set(row.orderingKey, [row]);
    }
  }
  return byKey;
}

/** Runs `work` on every item, at most `limit` at a time. */
async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        await work(items[next++]);
      }
    }),
  );
}

/** Class and bounded message of what a lane caught, for its log lines and the row's `last_error`. */
export function describe(error: unknown): string {
  const { type, message } = describeError(error);
  return message ? `${type}: ${message}` : type;
}

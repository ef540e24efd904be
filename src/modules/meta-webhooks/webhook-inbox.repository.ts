import { randomUUID } from 'node:crypto';

import { EntityManager } from '@mikro-orm/postgresql';
import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';

import { preparedRead } from 'src/common/database/bound-sql';

import { type GroupCommitOptions, GroupCommit, type ItemOutcome } from './group-commit';
import { WebhookInboxStatus, type WebhookUnprocessableReason } from './meta-webhooks.constants';
import type { DeliveryPart } from './webhook-change.router';
import { parseJsonKeepingBigIntegers } from './webhook-json';

/** The statuses of unfinished rows, as the SQL literal the partial indexes are defined with. */
const UNFINISHED = `('${WebhookInboxStatus.PENDING}', '${WebhookInboxStatus.PROCESSING}')`;

/** A row claimed by a worker lane, with the token of the claim. */
export interface WebhookInboxClaim {
  id: string;
  /** The WABA (or the fallback key) whose deliveries are applied in order. */
  orderingKey: string;
  payload: unknown;
  /** Attempts so far, this claim's included. */
  attempts: number;
  /** When the delivery was stored. */
  receivedAt: Date;
  leaseToken: string;
}

/** What storing a delivery's parts did. */
export type StoredDelivery =
  /** The ids of the rows inserted; none when every part was stored before (a redelivery). */
  | { refused: false; ids: string[] }
  /** PostgreSQL refused the JSON itself (see {@link isRefusedData}): nothing was stored. */
  | { refused: true };

/**
 * How deliveries are gathered into one INSERT: up to 100 deliveries or 1 MiB of JSON (a larger delivery
 * alone); those of one I/O round when no INSERT is in flight, else waiting at most 2 ms for company (or
 * for the INSERT in flight to end); at most 4 INSERTs in flight (the pool has 20 connections, which the
 * worker and the API share).
 */
const INBOX_GROUP_COMMIT: GroupCommitOptions = { maxItems: 100, maxWeight: 1024 * 1024, windowMs: 2, maxInFlight: 4 };

/**
 * A batch's rows in submission order (`WITH ORDINALITY`): `created_at` grows by a microsecond per row, so
 * that a WABA's deliveries stored together keep their arrival order for the claims. The payloads come as one
 * JSON array, the rows' texts joined as they are (`ROWS FROM` zips its elements with the other columns, in
 * order): nothing escapes them into an array literal, and PostgreSQL parses the JSON once.
 */
const INSERT_DELIVERIES = `
  INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                             next_attempt_at)
  SELECT r.id, now() + (r.n - 1) * interval '1 microsecond', now(), r.sha256, r.ordering_key, r.payload,
         '${WebhookInboxStatus.PENDING}', 0, now()
    FROM ROWS FROM (unnest(?::uuid[]), unnest(?::text[]), unnest(?::text[]), jsonb_array_elements(?::jsonb))
         WITH ORDINALITY AS r(id, sha256, ordering_key, payload, n)
  ON CONFLICT (payload_sha256, ordering_key) DO NOTHING
  RETURNING id`;

/** A delivery waiting for its batch. */
interface PendingDelivery {
  sha256: string;
  parts: DeliveryPart[];
}

/** The unfinished and parked rows, by status, as `/metrics` reports them. */
export interface WebhookInboxBacklog {
  pending: number;
  processing: number;
  failed: number;
  unprocessable: number;
  /** Age of the oldest PENDING or PROCESSING row, in seconds; 0 when there is none. */
  oldestAgeSeconds: number;
}

/**
 * The SQL of `webhook_inbox`, the durable inbox meta-webhooks alone owns: storing and parking deliveries,
 * the worker's claims, lease renewals, fence and finishing writes, and the backlog counts. Raw SQL on
 * purpose: the claim's head-of-key check and `SKIP LOCKED` have no query-builder equivalent, and every
 * write but the fence runs on its own connection, outside any transaction, so a claim or a finish commits
 * at once whatever the caller is doing.
 */
@Injectable()
export class WebhookInboxRepository implements BeforeApplicationShutdown {
  private readonly storeBatches = new GroupCommit<PendingDelivery, StoredDelivery>(
    INBOX_GROUP_COMMIT,
    (deliveries) => this.insertDeliveries(deliveries),
    (delivery) => delivery.parts.reduce((bytes, part) => bytes + part.json.length, 0),
  );

  constructor(private readonly em: EntityManager) {}

  /**
   * Stores a delivery's parts as PENDING rows, due now, each once per (SHA-256, ordering key): a part stored
   * before is skipped. Concurrent deliveries are written together (group commit, {@link INBOX_GROUP_COMMIT}):
   * one multi-row INSERT, committed before any of them resolves, and a delivery's parts always in the same
   * statement. Throws what PostgreSQL answers, except that a refusal of the JSON itself resolves as
   * `{ refused: true }`; when the batch's statement fails, each delivery is written again alone, so that
   * only the deliveries whose rows fail see the failure.
   */
  storeDelivery(sha256: string, parts: DeliveryPart[]): Promise<StoredDelivery> {
    return this.storeBatches.submit({ sha256, parts });
  }

  /**
   * Writes every part of every delivery of a batch in one INSERT (outside any transaction: it commits at
   * once), with ids made here, so that what RETURNING lists tells each delivery which of its rows are new.
   * `created_at` grows by a microsecond per row in submission order: a WABA's deliveries in one batch keep
   * their arrival order for the worker's claims (ordered by `created_at`, `id`).
   */
  private async insertDeliveries(deliveries: PendingDelivery[]): Promise<Array<ItemOutcome<StoredDelivery>>> {
    const rows = deliveries.flatMap((delivery) =>
      delivery.parts.map((part) => ({ id: randomUUID(), sha256: delivery.sha256, part })),
    );
    try {
      const inserted = await this.insertRows(rows);
      let offset = 0;
      return deliveries.map((delivery) => {
        const own = rows.slice(offset, offset + delivery.parts.length);
        offset += delivery.parts.length;
        return { ok: true, value: { refused: false, ids: own.map((row) => row.id).filter((id) => inserted.has(id)) } };
      });
    } catch (error) {
      if (deliveries.length > 1) {
        // PostgreSQL refuses the whole statement for one bad value: find whose it was.
        return Promise.all(
          deliveries.map((delivery) => this.insertDeliveries([delivery]).then(([outcome]) => outcome)),
        );
      }
      return [isRefusedData(error) ? { ok: true, value: { refused: true } } : { ok: false, error }];
    }
  }

  /**
   * The INSERT itself: one statement text whatever the batch's size, the rows as four parameters unnested in
   * order, run as a named prepared statement, so that PostgreSQL parses and plans it once per pooled
   * connection instead of once per batch (a VALUES list of 32 rows was a new text of 128 parameters each
   * time), and the driver binds four values instead of four per row. The payloads travel as one JSON array of
   * the parts' own texts (bound, never written into the SQL; each is a JSON value the decoder parsed, so the
   * join is JSON too) and become `jsonb` in PostgreSQL, which refuses what it cannot store (see
   * {@link isRefusedData}).
   */
  private async insertRows(rows: Array<{ id: string; sha256: string; part: DeliveryPart }>): Promise<Set<string>> {
    const inserted = await preparedRead<{ id: string }>(this.em, INSERT_DELIVERIES, [
      rows.map((row) => row.id),
      rows.map((row) => row.sha256),
      rows.map((row) => row.part.orderingKey),
      `[${rows.map((row) => row.part.json).join(',')}]`,
    ]);
    return new Set(inserted.map((row) => row.id));
  }

  /**
   * Stores signed bytes that cannot be processed as an UNPROCESSABLE row with their reason, finished at once
   * and never claimed; false when the same bytes were parked before. The bytes are a bound parameter (sent
   * as they are, not hex-escaped into the SQL text).
   */
  async parkUnprocessable(
    sha256: string,
    orderingKey: string,
    raw: Buffer,
    reason: WebhookUnprocessableReason,
  ): Promise<boolean> {
    const result: { rows: unknown[] } = await this.em
      .getConnection()
      .getKnex()
      .raw(
        `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, raw_body, status,
                                    attempts, next_attempt_at, last_error, processed_at)
         VALUES (?, now(), now(), ?, ?, NULL, ?, ?, 0, now(), ?, now())
         ON CONFLICT (payload_sha256, ordering_key) DO NOTHING
         RETURNING id`,
        [randomUUID(), sha256, orderingKey, raw, WebhookInboxStatus.UNPROCESSABLE, reason],
      );
    return result.rows.length > 0;
  }

  /** Writes the deliveries still gathering and waits for the writes in flight (at shutdown, before the ORM closes). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.storeBatches.drain();
  }

  /**
   * Claims for `holder` the oldest due rows that head their ordering key, for up to `keys` keys, each with up
   * to `perKey - 1` of its key's next due rows (a WABA's backlog, in order, up to the first row another holder
   * still leases, which stays with it): a head is a row no older
   * row of whose key is pending or being processed (a row whose lease ran out is due again and still heads
   * its key). Each claimed row counts the attempt and is leased for `leaseMs` under a fresh token of its own.
   * A key's rows are claimed together or not at all with its head, so one WABA's rows are never held by two
   * lanes, while different WABAs are spread over lanes and instances. SKIP LOCKED lets instances claim side
   * by side. The statuses are literals so that the planner matches the partial indexes on unfinished rows:
   * the heads walk `webhook_inbox_unfinished_index` in (created_at, id) order, their check and their
   * followers probe `webhook_inbox_queue_index`, and the rows are updated by primary key (`= ANY(ARRAY(…))`),
   * however many processed rows the table holds. Rows come back in (created_at, id) order.
   */
  async claimBatch(holder: string, leaseMs: number, keys: number, perKey: number): Promise<WebhookInboxClaim[]> {
    const rows: Array<{
      id: string;
      ordering_key: string;
      payload: unknown;
      attempts: number;
      created_at: string | Date;
      created_us: string;
      lease_token: string;
    }> = await this.em.getConnection().execute(
      `WITH heads AS (
            SELECT h.id, h.ordering_key, h.created_at FROM webhook_inbox h
             WHERE h.status IN ${UNFINISHED} AND h.next_attempt_at <= now()
               AND NOT EXISTS (
                   SELECT 1 FROM webhook_inbox o
                    WHERE o.ordering_key = h.ordering_key AND o.status IN ${UNFINISHED}
                      AND (o.created_at, o.id) < (h.created_at, h.id))
             ORDER BY h.created_at, h.id
             LIMIT ?
               FOR UPDATE SKIP LOCKED),
            followers AS (
            SELECT f.id FROM heads CROSS JOIN LATERAL (
                   SELECT f.id FROM webhook_inbox f
                    WHERE f.ordering_key = heads.ordering_key AND f.status IN ${UNFINISHED}
                      AND (f.created_at, f.id) > (heads.created_at, heads.id) AND f.next_attempt_at <= now()
                      AND NOT EXISTS (
                          SELECT 1 FROM webhook_inbox x
                           WHERE x.ordering_key = f.ordering_key AND x.status IN ${UNFINISHED}
                             AND x.next_attempt_at > now()
                             AND (x.created_at, x.id) > (heads.created_at, heads.id)
                             AND (x.created_at, x.id) < (f.created_at, f.id))
                    ORDER BY f.created_at, f.id
                    LIMIT ?
                      FOR UPDATE SKIP LOCKED) f)
       UPDATE webhook_inbox AS w
          SET status = '${WebhookInboxStatus.PROCESSING}', attempts = w.attempts + 1, locked_by = ?,
              lease_token = gen_random_uuid(),
              next_attempt_at = clock_timestamp() + (? * interval '1 millisecond'), updated_at = now()
        WHERE w.id = ANY(ARRAY(SELECT id FROM heads UNION ALL SELECT id FROM followers))
    RETURNING w.id, w.ordering_key, w.payload::text AS payload, w.attempts, w.created_at, w.lease_token,
              (extract(epoch FROM w.created_at) * 1000000)::int8 AS created_us`,
      [keys, Math.max(0, perKey - 1), holder, leaseMs],
    );
    // Microseconds decide the order: a WABA's deliveries stored by one group commit are a microsecond apart.
    return rows
      .map((row) => ({ row, at: BigInt(row.created_us) }))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
      .map(({ row }) => ({
        id: row.id,
        orderingKey: row.ordering_key,
        // As text, parsed here: the driver's JSON.parse would round template IDs beyond 2^53 (webhook-json.ts).
        payload: parseJsonKeepingBigIntegers(row.payload as string),
        attempts: row.attempts,
        // The driver hands timestamps back as strings (UTC) or Dates depending on configuration.
        receivedAt: new Date(row.created_at),
        leaseToken: row.lease_token,
      }));
  }

  /**
   * Whether `claim` still holds its row with an unexpired lease, checked in the caller's transaction: the
   * injected EntityManager resolves to the open transaction's fork (MikroORM's transaction context). The
   * KEY SHARE lock keeps the row from being claimed (claims skip locked rows) until that transaction ends,
   * while the holder's heartbeat can still renew the lease.
   */
  async holdsLease(claim: WebhookInboxClaim): Promise<boolean> {
    const held: unknown[] = await this.em.execute(
      `SELECT 1 FROM webhook_inbox
        WHERE id = ? AND lease_token = ? AND status = ? AND next_attempt_at > clock_timestamp()
          FOR KEY SHARE`,
      [claim.id, claim.leaseToken, WebhookInboxStatus.PROCESSING],
    );
    return held.length > 0;
  }

  /**
   * Extends by `leaseMs` the leases of the rows these claims still hold, with one statement; returns the ids of
   * those it extended (a row missing was claimed elsewhere, or finished meanwhile).
   */
  async renewLeases(claims: readonly WebhookInboxClaim[], leaseMs: number): Promise<Set<string>> {
    if (claims.length === 0) {
      return new Set();
    }
    const rows: Array<{ id: string }> = await this.em.getConnection().execute(
      `UPDATE webhook_inbox AS w SET next_attempt_at = clock_timestamp() + (? * interval '1 millisecond')
         FROM jsonb_to_recordset(CAST(? AS jsonb)) AS c(id uuid, token uuid)
        WHERE w.id = c.id AND w.lease_token = c.token AND w.status = '${WebhookInboxStatus.PROCESSING}'
    RETURNING w.id`,
      [leaseMs, claimKeys(claims)],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * {@link holdsLease} for many claims, with one statement in the caller's transaction: the ids of the rows
   * still held with an unexpired lease, each locked FOR KEY SHARE until that transaction ends.
   */
  async holdLeases(claims: readonly WebhookInboxClaim[]): Promise<Set<string>> {
    const rows: Array<{ id: string }> = await this.em.execute(
      `SELECT w.id FROM webhook_inbox w
         JOIN jsonb_to_recordset(CAST(? AS jsonb)) AS c(id uuid, token uuid) ON w.id = c.id AND w.lease_token = c.token
        WHERE w.status = '${WebhookInboxStatus.PROCESSING}' AND w.next_attempt_at > clock_timestamp()
          FOR KEY SHARE OF w`,
      [claimKeys(claims)],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Marks these claimed rows DONE, each with what its changes did, with one statement in the caller's
   * transaction (so they finish with the changes they applied, or not at all); returns how many it marked
   * (fewer when some claim was lost).
   */
  async markAllDone(finished: ReadonlyArray<{ claim: WebhookInboxClaim; outcome: unknown }>): Promise<number> {
    if (finished.length === 0) {
      return 0;
    }
    const rows: unknown[] = await this.em.execute(
      `UPDATE webhook_inbox AS w
          SET status = '${WebhookInboxStatus.DONE}', locked_by = NULL, lease_token = NULL, updated_at = now(),
              processed_at = now(), outcome = v.outcome, last_error = NULL, next_attempt_at = now()
         FROM jsonb_to_recordset(CAST(? AS jsonb)) AS v(id uuid, token uuid, outcome jsonb)
        WHERE w.id = v.id AND w.lease_token = v.token AND w.status = '${WebhookInboxStatus.PROCESSING}'
    RETURNING w.id`,
      [
        JSON.stringify(
          finished.map(({ claim, outcome }) => ({ id: claim.id, token: claim.leaseToken, outcome: outcome ?? null })),
        ),
      ],
    );
    return rows.length;
  }

  /**
   * Hands claimed rows back unapplied, due now and with this claim's attempt uncounted (an older row of their
   * WABA failed and waits for its retry: they wait behind it); rows no longer held are left alone.
   */
  async handBack(claims: readonly WebhookInboxClaim[]): Promise<void> {
    if (claims.length === 0) {
      return;
    }
    await this.em.getConnection().execute(
      `UPDATE webhook_inbox AS w
          SET status = '${WebhookInboxStatus.PENDING}', locked_by = NULL, lease_token = NULL, updated_at = now(),
              attempts = greatest(w.attempts - 1, 0), next_attempt_at = now()
         FROM jsonb_to_recordset(CAST(? AS jsonb)) AS c(id uuid, token uuid)
        WHERE w.id = c.id AND w.lease_token = c.token AND w.status = '${WebhookInboxStatus.PROCESSING}'`,
      [claimKeys(claims)],
    );
  }

  /** Marks the row DONE with what its changes did; false (nothing written) when `claim` no longer holds it. */
  markDone(claim: WebhookInboxClaim, outcome: unknown): Promise<boolean> {
    return this.release(claim, WebhookInboxStatus.DONE, { outcome });
  }

  /** Returns the row to PENDING, due again in `retryInMs`, with the error of this attempt. */
  scheduleRetry(claim: WebhookInboxClaim, lastError: string, retryInMs: number): Promise<boolean> {
    return this.release(claim, WebhookInboxStatus.PENDING, { lastError, retryInMs });
  }

  /** Parks the row as FAILED for an operator, with its last error; it is never claimed again. */
  markFailed(claim: WebhookInboxClaim, lastError: string): Promise<boolean> {
    return this.release(claim, WebhookInboxStatus.FAILED, { lastError });
  }

  /**
   * Counts the PENDING, PROCESSING, FAILED and UNPROCESSABLE rows and the age of the oldest unfinished one,
   * in one query served by the (status, next_attempt_at) index.
   */
  async backlog(): Promise<WebhookInboxBacklog> {
    const rows = await this.em
      .getConnection()
      .execute<Array<{ status: string; count: number; oldest_age: number | null }>>(
        `SELECT status, count(*)::int AS count,
                COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age
           FROM webhook_inbox
          WHERE status IN (?, ?, ?, ?)
          GROUP BY status`,
        [
          WebhookInboxStatus.PENDING,
          WebhookInboxStatus.PROCESSING,
          WebhookInboxStatus.FAILED,
          WebhookInboxStatus.UNPROCESSABLE,
        ],
      );
    const byStatus = new Map(rows.map((row) => [row.status, row]));
    const pending = byStatus.get(WebhookInboxStatus.PENDING);
    const processing = byStatus.get(WebhookInboxStatus.PROCESSING);
    return {
      pending: Number(pending?.count ?? 0),
      processing: Number(processing?.count ?? 0),
      failed: Number(byStatus.get(WebhookInboxStatus.FAILED)?.count ?? 0),
      unprocessable: Number(byStatus.get(WebhookInboxStatus.UNPROCESSABLE)?.count ?? 0),
      oldestAgeSeconds: Math.max(Number(pending?.oldest_age ?? 0), Number(processing?.oldest_age ?? 0)),
    };
  }

  /**
   * Deletes up to `limit` DONE rows processed more than `retentionMs` ago, oldest first, in one short
   * statement on its own connection: the batch is found through the partial `webhook_inbox_done_index`
   * (processed_at of DONE rows) and deleted by primary key (`= ANY(ARRAY(…))`, which the planner cannot turn
   * into a hash join over the whole table), so it never scans the table and holds its row locks only for that batch.
   * Rows another statement holds are skipped (the next batch takes them). Returns how many were deleted.
   * FAILED and UNPROCESSABLE rows are kept for an operator.
   */
  async pruneDone(retentionMs: number, limit: number): Promise<number> {
    const rows: unknown[] = await this.em.getConnection().execute(
      `DELETE FROM webhook_inbox
        WHERE id = ANY(ARRAY(
              SELECT id FROM webhook_inbox
               WHERE status = '${WebhookInboxStatus.DONE}'
                 AND processed_at < now() - (? * interval '1 millisecond')
               ORDER BY processed_at
               LIMIT ?
                 FOR UPDATE SKIP LOCKED))
    RETURNING id`,
      [retentionMs, limit],
    );
    return rows.length;
  }

  /** Ends the claim under its token; false (and nothing written) when the row was claimed elsewhere. */
  private async release(
    claim: WebhookInboxClaim,
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
        claim.id,
        claim.leaseToken,
        WebhookInboxStatus.PROCESSING,
      ],
    );
    return rows.length > 0;
  }
}

/** Claims as one JSON parameter of `{ id, token }` records (MikroORM writes arrays into the SQL as lists). */
function claimKeys(claims: readonly WebhookInboxClaim[]): string {
  return JSON.stringify(claims.map((claim) => ({ id: claim.id, token: claim.leaseToken })));
}

/**
 * PostgreSQL refused the value itself: SQLSTATE class 22 (data exception), or 54001 for JSON nested beyond
 * its stack. The driver's error carries the SQLSTATE in `code`.
 */
function isRefusedData(error: unknown): boolean {
  const code = error !== null && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (/^22[0-9A-Z]{3}$/.test(code) || code === '54001');
}

import { createHash } from 'node:crypto';

import type { Pool } from 'pg';

import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { benchWabaId } from 'test/bench/bench-scale';
import { percentile, webhookLoad } from 'test/bench/load-runner';
import { INTAKE_STATUS_SHARE, type IntakeMix, statusDeliveries } from 'test/bench/webhook-mix';

/** Ingestion throughput and lag until the change is visible. */
export interface WebhookBenchResult {
  deliveries: number;
  /** What the burst was made of. */
  mix: IntakeMix;
  concurrency: number;
  /** Deliveries answered 200 per second during the burst. */
  acceptedPerSecond: number;
  rejected: number;
  /** The same rows inserted straight into an inbox-shaped table through the driver (the database's ceiling). */
  driverInsertsPerSecond: number;
  /**
   * The same rows through the driver as multi-row INSERTs of `concurrency` rows, 4 at a time (what the
   * service's group commit does at best): the database's ceiling for batched intake.
   */
  driverBatchedRowsPerSecond: number;
  /** From the burst's first POST until the last of its account events is visible in the `wabas` rows. */
  burstDrainMs: number;
  /** One delivery at a time: from its 200 until the change is visible. */
  lagP50Ms: number;
  lagP99Ms: number;
  lagSamples: number;
  /** Round trip of one UPDATE of a WABA row through the driver: the floor of any "visible" lag. */
  updateRoundTripMs: number;
}

/** One signed delivery, ready to post. */
export interface Delivery {
  /** An account event, whose change the bench waits for, or a message status (acknowledged, nothing to see). */
  kind: 'account_update' | 'messages';
  wabaId: string;
  body: string;
  signature: string;
}

const POLL_MS = 2;
const WAIT_LIMIT_MS = 15 * 60_000;

/**
 * After an unmeasured warm-up burst a quarter its size, posts a burst of signed deliveries to
 * `POST /webhooks/meta` at `concurrency`, mostly `messages` status
 * deliveries (webhook-mix.ts) and `account_update` DISABLED_UPDATE events for seeded ACTIVE WABAs (one per
 * WABA, so none is a duplicate), and watches the `wabas` rows until each account event is visible; then
 * account events one at a time, for the lag.
 */
export async function runWebhookBench(
  serviceUrls: string[],
  pool: Pool,
  simulator: MetaSimulator,
  options: { firstSeq: number; deliveries: number; concurrency: number; lagSamples: number; numbersPerWaba: number },
): Promise<WebhookBenchResult> {
  const burst = buildDeliveries(simulator, options.deliveries, options.firstSeq, {
    statusShare: INTAKE_STATUS_SHARE,
    numbersPerWaba: options.numbersPerWaba,
  });
  const samples = buildDeliveries(simulator, options.lagSamples, burst.nextSeq);
  // A smaller burst of the same mix first, not measured: the instance's webhook path (its JIT, prepared
  // statements, pooled connections) would otherwise be cold for the measured burst, which a running service is not.
  const warmUp = buildDeliveries(simulator, Math.ceil(options.deliveries / 4), samples.nextSeq, {
    statusShare: INTAKE_STATUS_SHARE,
    numbersPerWaba: options.numbersPerWaba,
  });

  const driverInsertsPerSecond = await driverInsertRate(pool, burst.deliveries, options.concurrency);
  const driverBatchedRowsPerSecond = await driverBatchedInsertRate(pool, burst.deliveries, options.concurrency);

  // The lag samples are sent one at a time: a fetch from this process is no load on the instance.
  const post = (delivery: Delivery): Promise<Response> =>
    fetch(`${serviceUrls[0]}/webhooks/meta`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Hub-Signature-256': delivery.signature },
      body: delivery.body,
    });

  await webhookLoad(serviceUrls, warmUp.deliveries, options.concurrency);
  await waitUntilDisabled(pool, accountEventWabaIds(warmUp.deliveries));

  const intake = await webhookLoad(serviceUrls, burst.deliveries, options.concurrency);
  // From the burst's first request (the load worker's start-up left out) until its last change is visible.
  const burstStartedAt = performance.now() - intake.seconds * 1000;
  await waitUntilDisabled(pool, accountEventWabaIds(burst.deliveries));
  const burstDrainMs = performance.now() - burstStartedAt;

  const lags: number[] = [];
  for (const delivery of samples.deliveries) {
    const response = await post(delivery);
    await response.arrayBuffer();
    const acceptedAt = performance.now();
    await waitUntil(
      async () =>
        (await pool.query<{ status: string }>('SELECT status FROM wabas WHERE waba_id = $1', [delivery.wabaId])).rows[0]
          ?.status === 'DISABLED',
      'a delivery to be visible',
    );
    lags.push(performance.now() - acceptedAt);
  }

  const roundTrips: number[] = [];
  for (const delivery of samples.deliveries) {
    const startedAt = performance.now();
    await pool.query('UPDATE wabas SET updated_at = updated_at WHERE waba_id = $1', [delivery.wabaId]);
    roundTrips.push(performance.now() - startedAt);
  }

  return {
    deliveries: burst.deliveries.length,
    mix: burst.mix,
    concurrency: options.concurrency,
    acceptedPerSecond: intake.acceptedPerSecond,
    rejected: intake.rejected,
    driverInsertsPerSecond,
    driverBatchedRowsPerSecond,
    burstDrainMs,
    lagP50Ms: percentile(lags, 50),
    lagP99Ms: percentile(lags, 99),
    lagSamples: lags.length,
    updateRoundTripMs: percentile(roundTrips, 50),
  };
}

/** The inbox insert the service makes, into a throwaway table of the same shape, at the same concurrency. */
export async function driverInsertRate(pool: Pool, deliveries: Delivery[], concurrency: number): Promise<number> {
  await pool.query('CREATE TABLE bench_inbox (LIKE webhook_inbox INCLUDING ALL)');
  try {
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let index = next++; index < deliveries.length; index = next++) {
          const body = deliveries[index].body;
          await pool.query(
            `INSERT INTO bench_inbox (id, payload_sha256, ordering_key, payload)
             VALUES (gen_random_uuid(), $1, $2, $3::jsonb)
             ON CONFLICT (payload_sha256, ordering_key) DO NOTHING`,
            [createHash('sha256').update(body).digest('hex'), deliveries[index].wabaId, body],
          );
        }
      }),
    );
    return deliveries.length / ((performance.now() - startedAt) / 1000);
  } finally {
    await pool.query('DROP TABLE bench_inbox');
  }
}

/** The same rows as multi-row INSERTs of `batch` rows, four statements in flight (the service's group commit). */
export async function driverBatchedInsertRate(pool: Pool, deliveries: Delivery[], batch: number): Promise<number> {
  await pool.query('CREATE TABLE bench_inbox (LIKE webhook_inbox INCLUDING ALL)');
  try {
    const chunks: Delivery[][] = [];
    for (let start = 0; start < deliveries.length; start += batch) {
      chunks.push(deliveries.slice(start, start + batch));
    }
    let next = 0;
    const startedAt = performance.now();
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let index = next++; index < chunks.length; index = next++) {
          const chunk = chunks[index];
          await pool.query(
            `INSERT INTO bench_inbox (id, payload_sha256, ordering_key, payload)
             VALUES ${chunk.map((_delivery, row) => `(gen_random_uuid(), $${row * 3 + 1}, $${row * 3 + 2}, $${row * 3 + 3}::jsonb)`).join(', ')}
             ON CONFLICT (payload_sha256, ordering_key) DO NOTHING
             RETURNING id`,
            chunk.flatMap((delivery) => [
              createHash('sha256').update(delivery.body).digest('hex'),
              delivery.wabaId,
              delivery.body,
            ]),
          );
        }
      }),
    );
    return deliveries.length / ((performance.now() - startedAt) / 1000);
  } finally {
    await pool.query('DROP TABLE bench_inbox');
  }
}

/**
 * `count` signed deliveries: `account_update` DISABLED_UPDATE events for seeded ACTIVE WABAs from `fromSeq`
 * on, one per WABA (so none is a duplicate), and, with `statusShare`, that share of `messages` status
 * deliveries about the same WABAs' numbers, spread evenly between them; `nextSeq` is where the next batch
 * may start.
 */
export function buildDeliveries(
  simulator: MetaSimulator,
  count: number,
  fromSeq: number,
  options: { statusShare?: number; numbersPerWaba?: number } = {},
): { deliveries: Delivery[]; nextSeq: number; mix: IntakeMix } {
  const statusCount = Math.round(count * (options.statusShare ?? 0));
  const accountCount = Math.max(count - statusCount, statusCount > 0 ? 1 : 0);
  const accounts: Delivery[] = [];
  const seqs: number[] = [];
  let seq = fromSeq;
  const time = Math.floor(Date.now() / 1000);
  while (accounts.length < accountCount) {
    // Seeded WABAs with seq % 25 = 0 are DISABLED already; a change must be visible.
    if (seq % 25 !== 0) {
      const wabaId = benchWabaId(seq);
      const body = JSON.stringify(
        simulator.buildWebhook(
          'account_update',
          { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'today' } },
          wabaId,
          time,
        ),
      );
      accounts.push({ kind: 'account_update', wabaId, body, signature: simulator.signWebhook(body) });
      seqs.push(seq);
    }
    seq += 1;
  }
  const statuses: Delivery[] = statusDeliveries(simulator, statusCount, seqs, options.numbersPerWaba ?? 3).map(
    (delivery) => ({ kind: 'messages', ...delivery }),
  );
  // Account events spread evenly through the statuses, as they would arrive among them.
  const deliveries: Delivery[] = [];
  const every = (statuses.length + accounts.length) / Math.max(1, accounts.length);
  for (let index = 0, account = 0, status = 0; deliveries.length < accounts.length + statuses.length; index += 1) {
    if (account < accounts.length && (index >= account * every || status >= statuses.length)) {
      deliveries.push(accounts[account++]);
    } else {
      deliveries.push(statuses[status++]);
    }
  }
  return { deliveries, nextSeq: seq, mix: { statuses: statuses.length, accountEvents: accounts.length } };
}

/** The WABAs of a burst's account events: the changes a bench waits to see. */
export function accountEventWabaIds(deliveries: readonly Delivery[]): string[] {
  return deliveries.filter((delivery) => delivery.kind === 'account_update').map((delivery) => delivery.wabaId);
}

/** Waits until every one of these WABAs shows DISABLED (their deliveries applied). */
export async function waitUntilDisabled(pool: Pool, wabaIds: string[]): Promise<void> {
  await waitUntil(
    async () =>
      Number(
        (
          await pool.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM wabas WHERE waba_id = ANY($1::text[]) AND status = 'DISABLED'",
            [wabaIds],
          )
        ).rows[0].n,
      ) === wabaIds.length,
    'the burst to be visible',
  );
}

async function waitUntil(done: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = performance.now() + WAIT_LIMIT_MS;
  while (!(await done())) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

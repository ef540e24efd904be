import type { Pool } from 'pg';

import type { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { META_THROTTLE_REFRESH_MS } from 'src/modules/meta-gateway/meta-gateway.constants';
import type { BenchScale } from 'test/bench/bench-scale';
import { makeDue } from 'test/bench/bench-seed';
import { createOrganization, type RoundFigures } from 'test/bench/bench-service';
import { Fleet, type FleetPhaseFigures } from 'test/bench/fleet';
import { httpLoad, webhookLoad, type WebhookLoadResult } from 'test/bench/load-runner';
import { machineBusyMs, machineCores } from 'test/bench/machine-cpu';
import { buildDeliveries, waitUntilDisabled } from 'test/bench/webhook-ingestion.bench';

/** The per-key limit the instances are started with for the rate-limit check. */
const RATE_LIMIT_PER_MINUTE = 600;
const RATE_LIMIT_CONNECTIONS = 16;

/** What one fleet of `instances` did. */
export interface FleetFigures {
  instances: number;
  round: RoundFigures;
  intake: WebhookLoadResult;
  /** From the intake's first request until every change is visible. */
  drainMs: number;
  /**
   * Busy CPU of the whole machine (every instance, PostgreSQL, the load generator) per accepted delivery while
   * the burst was posted, in ms; null without /proc/stat. On a machine smaller than the fleet, it bounds intake.
   */
  intakeMachineMsPerDelivery: number | null;
  /** Inbox rows stored for the burst's WABAs since it began (one per delivery when none is stored twice). */
  inboxRows: number;
  /** Of those, rows claimed more than once (a second attempt, or a claim taken over). */
  inboxRowsRetried: number;
  /** Audit events of the burst's WABAs since it began (one status change per delivery). */
  auditEvents: number;
  /** WABAs of the burst with more than one audit event since it began: a change applied twice. */
  wabasAuditedTwice: number;
  rateLimit: { requests: number; accepted: number; refused: number; other: number; seconds: number };
}

/** Meta's app-wide throttle learnt by one instance and honoured by the others. */
export interface ThrottleFigures {
  instances: number;
  /** The first instance's round while Meta answers one call with code 4. */
  firstCalls: number;
  firstThrottled: number;
  firstWabas: number;
  firstSucceeded: number;
  firstFailed: number;
  firstSkipped: number;
  /** The other instances' round right after (the pause reloaded from PostgreSQL). */
  otherWabas: number;
  otherCalls: number;
  otherSkipped: number;
}

/** Every fleet's figures, the throttle check on the largest, and the fleets' memory peaks. */
export interface MultiInstanceResult {
  fleets: FleetFigures[];
  throttle: ThrottleFigures;
  peaks: FleetPhaseFigures[];
  deliveries: number;
  concurrency: number;
  latencyMs: number;
  /** The single-instance round of the main phases (same WABAs, same latency), for reference. */
  mainRound: RoundFigures;
}

/** Options of {@link runMultiInstanceBench}. */
export interface MultiInstanceOptions {
  quick: boolean;
  scale: BenchScale;
  pool: Pool;
  simulator: MetaSimulator;
  roundWabaIds: string[];
  round: RoundFigures;
  /** First seeded WABA seq the intake bursts may use (each fleet takes its own range of ACTIVE WABAs). */
  firstSeq: number;
  env: (extra: Record<string, string>) => Record<string, string>;
  measureRound: (fleet: Fleet, wabaIds: string[]) => Promise<RoundFigures>;
}

/**
 * Fleets of 1, 2 and 4 instances (1 and 2 in quick mode), each started afresh on the seeded database with
 * RATE_LIMIT_PER_MINUTE = 600: a periodic round of the due WABAs on all instances at once; a signed webhook
 * burst spread over the instances, then checks that nothing was stored or applied twice; one API key
 * hammering every instance; and on the largest fleet, Meta's app throttle learnt by one instance and
 * honoured by the others.
 */
export async function runMultiInstanceBench(options: MultiInstanceOptions): Promise<MultiInstanceResult> {
  const { pool, simulator, scale } = options;
  const counts = options.quick ? [1, 2] : [1, 2, 4];
  const deliveries = scale.webhookDeliveries;
  const fleets: FleetFigures[] = [];
  const peaks: FleetPhaseFigures[] = [];
  let throttle: ThrottleFigures | null = null;
  let nextSeq = options.firstSeq;
  for (const count of counts) {
    const fleet = await Fleet.start(count, options.env({ RATE_LIMIT_PER_MINUTE: String(RATE_LIMIT_PER_MINUTE) }));
    try {
      fleet.phase(`${count} instance(s): sync round, Meta at ${scale.roundLatencyMs} ms`);
      const round = await options.measureRound(fleet, options.roundWabaIds);

      fleet.phase(`${count} instance(s): webhook intake and processing`);
      // An unmeasured burst a quarter the size first, as the single-instance ingestion bench does: instances
      // started afresh would otherwise meet the measured burst with a cold webhook path (JIT, prepared
      // statements, pooled connections), and more instances would pay more of that warm-up.
      const warmUp = buildDeliveries(simulator, Math.ceil(deliveries / 4), nextSeq);
      await webhookLoad(fleet.urls, warmUp.deliveries, scale.webhookConcurrency);
      await waitUntilDisabled(
        pool,
        warmUp.deliveries.map((delivery) => delivery.wabaId),
      );
      const burst = buildDeliveries(simulator, deliveries, warmUp.nextSeq);
      nextSeq = burst.nextSeq;
      const since = (await pool.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0].now;
      const busyBefore = machineBusyMs();
      const intake = await webhookLoad(fleet.urls, burst.deliveries, scale.webhookConcurrency);
      const busyAfter = machineBusyMs();
      const intakeMachineMsPerDelivery =
        busyBefore === null || busyAfter === null ? null : (busyAfter - busyBefore) / Math.max(1, intake.accepted);
      const startedAt = performance.now() - intake.seconds * 1000;
      const wabaIds = burst.deliveries.map((delivery) => delivery.wabaId);
      await waitUntilDisabled(pool, wabaIds);
      const drainMs = performance.now() - startedAt;
      const once = await processedOnce(pool, wabaIds, since);

      fleet.phase(`${count} instance(s): one API key on every instance`);
      const organization = await createOrganization(fleet.url, `Rate limit ${count}`);
      // A fixed number of requests, not a duration, however slow the machine: one more instance's worth than
      // the instances could admit with a bucket each, so that unshared buckets would show.
      const requests = (count + 1) * RATE_LIMIT_PER_MINUTE;
      const hammer = await httpLoad(
        'rate limit',
        fleet.urls.map((url) => `${url}/api/v1/wabas`),
        {
          connections: RATE_LIMIT_CONNECTIONS,
          seconds: 0,
          amount: requests,
          headers: { Authorization: `Bearer ${organization.key}` },
        },
      );
      const accepted = hammer.statuses['200'] ?? 0;
      const refused = hammer.statuses['429'] ?? 0;
      fleets.push({
        instances: count,
        round,
        intake,
        drainMs,
        intakeMachineMsPerDelivery,
        ...once,
        rateLimit: {
          requests,
          accepted,
          refused,
          other: hammer.total - accepted - refused,
          seconds: hammer.seconds,
        },
      });

      if (count === counts[counts.length - 1]) {
        fleet.phase(`${count} instance(s): Meta's throttle`);
        throttle = await measureThrottle(fleet, pool, simulator, options.roundWabaIds);
      }
    } finally {
      await fleet.stop();
      peaks.push(...fleet.peaks);
    }
  }
  return {
    fleets,
    throttle: throttle as ThrottleFigures,
    peaks,
    deliveries,
    concurrency: scale.webhookConcurrency,
    latencyMs: scale.roundLatencyMs,
    mainRound: options.round,
  };
}

/** Inbox rows and audit events of the burst's WABAs since `since`: one each per delivery when none doubled. */
async function processedOnce(
  pool: Pool,
  wabaIds: string[],
  since: Date,
): Promise<Pick<FleetFigures, 'inboxRows' | 'inboxRowsRetried' | 'auditEvents' | 'wabasAuditedTwice'>> {
  const inbox = await pool.query<{ rows: number; retried: number }>(
    `SELECT count(*)::int AS rows, (count(*) FILTER (WHERE attempts > 1))::int AS retried
       FROM webhook_inbox WHERE ordering_key = ANY($1::text[]) AND created_at >= $2`,
    [wabaIds, since],
  );
  const audit = await pool.query<{ events: number; twice: number }>(
    `SELECT COALESCE(sum(n), 0)::int AS events, (count(*) FILTER (WHERE n > 1))::int AS twice
       FROM (SELECT waba_id, count(*) AS n FROM audit_events
              WHERE waba_id = ANY($1::text[]) AND occurred_at >= $2 GROUP BY waba_id) per_waba`,
    [wabaIds, since],
  );
  return {
    inboxRows: inbox.rows[0].rows,
    inboxRowsRetried: inbox.rows[0].retried,
    auditEvents: audit.rows[0].events,
    wabasAuditedTwice: audit.rows[0].twice,
  };
}

/**
 * The first instance runs a round while Meta answers its first call with code 4 (app throttled, usage at
 * 100 %): it pauses every Graph call and records the pause in PostgreSQL. Once the others have reloaded
 * the pauses (two refresh periods), they run a round of other due WABAs: every Graph call they make then
 * would be one Meta told the app not to make.
 */
async function measureThrottle(
  fleet: Fleet,
  pool: Pool,
  simulator: MetaSimulator,
  roundWabaIds: string[],
): Promise<ThrottleFigures> {
  const [first, ...others] = fleet.instances;
  const firstWabas = roundWabaIds.slice(0, 100);
  const otherWabas = roundWabaIds.slice(100, 600);
  simulator.setLatency(0);
  simulator.clearRequests();
  await makeDue(pool, firstWabas);
  simulator.injectFault({ path: '', kind: 'app_throttle', times: 1 });
  const [firstResult] = await fleet.syncRound([first]);
  const firstCalls = simulator.requests.length;
  const firstThrottled = simulator.requests.filter((request) => request.status >= 400).length;
  simulator.clearFaults();
  await new Promise((resolveWait) => setTimeout(resolveWait, 2 * META_THROTTLE_REFRESH_MS + 500));

  simulator.clearRequests();
  await makeDue(pool, otherWabas);
  const otherResults = await fleet.syncRound(others);
  return {
    instances: fleet.instances.length,
    firstCalls,
    firstThrottled,
    firstWabas: firstWabas.length,
    firstSucceeded: firstResult.succeeded,
    firstFailed: firstResult.failed,
    firstSkipped: firstResult.skipped,
    otherWabas: otherWabas.length,
    otherCalls: simulator.requests.length,
    otherSkipped: otherResults.reduce((sum, result) => sum + result.skipped, 0),
  };
}

const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Prints what each figure of {@link runMultiInstanceBench} means, next to the one-instance figure. */
export function printMultiInstance(result: MultiInstanceResult, out: (line?: string) => void): void {
  const one = result.fleets[0];
  out();
  out(
    `## Several instances on one database (${result.fleets.map((fleet) => fleet.instances).join(', ')} instances, ` +
      'each its own process from dist/, started afresh, all on this machine)',
  );
  out(
    `(a) periodic round of ${fmt(one.round.wabas)} due WABAs, Meta at ${result.latencyMs} ms, every instance ` +
      'running it at once: wall time (vs 1 instance), Graph calls (must not grow: each WABA read once), most ' +
      'reads of one WABA',
  );
  for (const fleet of result.fleets) {
    const round = fleet.round;
    out(
      `  ${fleet.instances} instance(s): ${fmt(round.wallMs / 1000, 2)} s (${fmt(one.round.wallMs / round.wallMs, 2)}× ` +
        `as fast), ${fmt(round.graphCalls)} Graph calls = ${fmt(round.graphCalls / Math.max(1, round.wabas), 3)}/WABA, ` +
        `most reads of one WABA ${round.maxReadsPerWaba}; succeeded ${fmt(round.succeeded)}, failed ${round.failed}, ` +
        `skipped ${round.skipped}`,
    );
  }
  out(
    `(b) webhook intake: ${fmt(result.deliveries)} signed deliveries over ${result.concurrency} connections ` +
      'spread over the instances (autocannon in a worker thread), accepted per second (vs 1 instance); then ' +
      'until every change is visible',
  );
  for (const fleet of result.fleets) {
    out(
      `  ${fleet.instances} instance(s): ${fmt(fleet.intake.acceptedPerSecond)} deliveries/s accepted ` +
        `(${fmt(fleet.intake.acceptedPerSecond / one.intake.acceptedPerSecond, 2)}×), ${fleet.intake.rejected} rejected, ` +
        `p99 ${fmt(fleet.intake.p99Ms)} ms; all visible after ${fmt(fleet.drainMs / 1000, 2)} s` +
        machineCeiling(fleet),
    );
  }
  out(
    '(c) nothing processed twice: inbox rows stored, rows claimed more than once, audit events written per ' +
      'delivery (each delivery changes one WABA once), WABAs audited twice',
  );
  for (const fleet of result.fleets) {
    out(
      `  ${fleet.instances} instance(s): ${fmt(fleet.inboxRows)} inbox rows for ${fmt(fleet.intake.accepted)} ` +
        `accepted deliveries, ${fleet.inboxRowsRetried} claimed twice; ${fmt(fleet.auditEvents)} audit events = ` +
        `${fmt(fleet.auditEvents / Math.max(1, fleet.intake.accepted), 2)} per delivery, ${fleet.wabasAuditedTwice} ` +
        'WABAs audited twice',
    );
  }
  const bound = (seconds: number): number => RATE_LIMIT_PER_MINUTE + Math.floor((RATE_LIMIT_PER_MINUTE * seconds) / 60);
  out(
    `(d) per-key rate limit shared by the instances: RATE_LIMIT_PER_MINUTE=${RATE_LIMIT_PER_MINUTE}, one key, ` +
      `(instances + 1) × ${RATE_LIMIT_PER_MINUTE} requests on ${RATE_LIMIT_CONNECTIONS} connections spread over every ` +
      `instance; one shared bucket (GCRA: a burst of ${RATE_LIMIT_PER_MINUTE}, then ${RATE_LIMIT_PER_MINUTE}/min) admits ` +
      'at most limit + limit × seconds ÷ 60 over the run; a bucket per instance would admit that many per instance',
  );
  for (const fleet of result.fleets) {
    const limit = bound(fleet.rateLimit.seconds);
    out(
      `  ${fleet.instances} instance(s): ${fmt(fleet.rateLimit.accepted)} of ${fmt(fleet.rateLimit.requests)} accepted ` +
        `in ${fmt(fleet.rateLimit.seconds, 1)} s, shared bound ${fmt(limit)} → ${fmt(fleet.rateLimit.accepted / limit, 2)}×; ` +
        `${fmt(fleet.rateLimit.refused)} refused with 429` +
        (fleet.rateLimit.other > 0 ? `, ${fleet.rateLimit.other} OTHER answers (a fault of the check)` : ''),
    );
  }
  const throttle = result.throttle;
  out(
    `(e) Meta's app throttle shared (${throttle.instances} instances): Meta answers instance 1's first call with ` +
      'code 4 (usage 100 %); its round pauses; the others, once they reloaded the pauses from PostgreSQL ' +
      `(${META_THROTTLE_REFRESH_MS} ms period), run a round of ${throttle.otherWabas} other due WABAs while the pause lasts`,
  );
  out(
    `  instance 1: ${throttle.firstCalls} Graph calls (${throttle.firstThrottled} answered throttled; calls already ` +
      `in flight answer normally) for ${throttle.firstWabas} due WABAs: succeeded ${throttle.firstSucceeded}, ` +
      `failed ${throttle.firstFailed}, skipped ${throttle.firstSkipped}`,
  );
  out(
    `  instances 2–${throttle.instances}: ${throttle.otherCalls} Graph calls during the pause (target 0), ` +
      `${throttle.otherSkipped} of ${throttle.otherWabas} due WABAs skipped until it ends`,
  );
}

/**
 * The intake's ceiling on this machine: its cores ÷ the machine's CPU per accepted delivery (the load generator
 * and the webhook processing running meanwhile included), and how near the fleet came to it. More instances
 * than cores add processes, not CPU: the ceiling, not the instance count, says whether intake still scales.
 */
function machineCeiling(fleet: FleetFigures): string {
  const perDelivery = fleet.intakeMachineMsPerDelivery;
  if (perDelivery === null || perDelivery <= 0) {
    return '';
  }
  const ceiling = machineCores() / (perDelivery / 1000);
  return (
    `; machine CPU ${fmt(perDelivery, 2)} ms per delivery → ceiling ${fmt(ceiling)}/s on ${machineCores()} cores, ` +
    `reached ${fmt(fleet.intake.acceptedPerSecond / ceiling, 2)}×`
  );
}

import { cpus, loadavg, totalmem } from 'node:os';

import { Pool } from 'pg';

import { namedStatement } from 'src/common/database/bound-sql';
import { SecretBox } from 'src/common/security/secret-box';
import { WEBHOOK_BATCH_LANES, WEBHOOK_BATCH_WABAS } from 'src/modules/meta-webhooks/meta-webhooks.constants';
import { DETAILS_SQL, LIST_PAGES_SQL } from 'src/modules/wabas/waba-answer-sql';
import { benchScale, benchWabaId, type BenchScale } from 'test/bench/bench-scale';
import { printConnectBench, runConnectBench } from 'test/bench/connect.bench';
import { mirrorInSimulator, type SeedResult, seedScale } from 'test/bench/bench-seed';
import { cpuSeconds, ensureBuild, Fleet, type FleetPhaseFigures, startScriptNodeFlags } from 'test/bench/fleet';
import { combine, printFrameworkBench, runFrameworkBench } from 'test/bench/framework.bench';
import { driverLoad, httpLoad, type LoadResult } from 'test/bench/load-runner';
import { machineCores } from 'test/bench/machine-cpu';
import { MemorySampler } from 'test/bench/memory-sampler';
import { printMultiInstance, runMultiInstanceBench } from 'test/bench/multi-instance.bench';
import { marketingSendPlanStatements, seedMarketingSends } from 'test/bench/marketing-sends.bench';
import { checkPlans, type PlanCheck } from 'test/bench/query-plans';
import { runSyncRoundBench, type SyncRoundBenchResult } from 'test/bench/sync-round.bench';
import { runWebhookBench, type WebhookBenchResult } from 'test/bench/webhook-ingestion.bench';
import { describeMix } from 'test/bench/webhook-mix';
import {
  type HistorySeed,
  type ProcessingBenchResult,
  processingPlanStatements,
  runProcessingBench,
  seedHistory,
} from 'test/bench/webhook-processing.bench';
import {
  createOrganization,
  measureRound,
  serviceEnv,
  startBenchBackends,
  type RoundFigures,
} from 'test/bench/bench-service';
import { dropTestDatabase } from 'test/utils/test-database';

/**
 * Callers of the processing phase's driver baseline: the same writes per change, one transaction each, as many
 * at once as the worker applied before it batched (12 lanes), so the baseline stays comparable across runs.
 */
const PROCESSING_DRIVER_CALLERS = 12;
/** Length of one slice of the API-under-load phases, which take turns (see its comment). */
const API_SLICE_SECONDS = 2.5;
const apiSlices = (scale: BenchScale): number => Math.max(2, Math.round(scale.loadSeconds / API_SLICE_SECONDS));

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ratio = (value: number, baseline: number): string =>
  baseline > 0 ? `${fmt(value / baseline, value / baseline < 10 ? 2 : 1)}×` : 'n/a';

/**
 * `npm run bench [-- --quick]`: seeds the database to the scale of product-spec §3 with bulk SQL, starts the
 * service from its production build as its own process(es) (test/bench/fleet.ts), with the Meta simulator
 * and the load generators in this process, and prints every figure next to the baseline measured in the
 * same run, and the service's peak RSS per phase. Needs nothing but `npm ci`: without DATABASE_URL it
 * starts an embedded PostgreSQL in a temporary directory and removes it afterwards.
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const scale = benchScale(quick);
  process.env.TZ = 'UTC';
  process.env.LOG_LEVEL = 'silent';
  process.env.TEST_LOG_LEVEL ??= 'silent';
  const startedAt = performance.now();

  // Before anything is measured: a stale dist/ is rebuilt (the instances run the production build).
  await ensureBuild((line) => out(`build: ${line}`));
  const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
  await setUpTestDatabase();
  const memory = new MemorySampler();
  const { simulator, simulatorUrl, databaseUrl, encryptionKey } = await startBenchBackends();
  const fleetPeaks: FleetPhaseFigures[] = [];
  let fleet: Fleet | null = null;
  let pool: Pool | null = null;
  try {
    memory.phase('boot + seed');
    fleet = await Fleet.start(1, serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale));
    const service = fleet;
    fleet.phase('boot + seed');
    pool = new Pool({ connectionString: databaseUrl, max: 20 });
    const machine = await describeMachine(pool);
    out(`# WhatsApp Assets bench (${quick ? 'quick' : 'full'} mode)`);
    out(`machine: ${machine}`);
    out(`service: node ${startScriptNodeFlags().join(' ')} dist/src/main.js (as \`npm start\` runs it)`);

    const organization = await createOrganization(fleet.url, 'Bench');
    const secrets = new SecretBox(encryptionKey);
    const roundWabaIds = mirrorInSimulator(simulator, scale, scale.roundWabas);
    const token = simulator.issueToken({ wabaIds: roundWabaIds });
    const seed = await seedScale(pool, scale, organization.id, secrets.seal(token), token, secrets.seal('000000'));
    printSeed(seed);
    const history = quick ? 100_000 : 1_000_000;
    printHistory(await seedHistory(pool, history, history));
    const sends = await seedMarketingSends(pool, organization.id, history);
    out(
      `seeded marketing sends: ${fmt(sends.sends)} over 35 days, holds: ${fmt(sends.sends / 100)} in ${fmt(sends.seconds, 1)} s`,
    );
    // Millions of rows just bulk-loaded: autovacuum would otherwise work through them during the measured phases,
    // on the cores the service shares (a database past a bulk load gets the same, once).
    const settleStartedAt = performance.now();
    await pool.query('VACUUM ANALYZE');
    await pool.query('CHECKPOINT');
    const settleSeconds = (performance.now() - settleStartedAt) / 1000;
    out(`settled the seeded tables (VACUUM ANALYZE, CHECKPOINT) in ${fmt(settleSeconds, 1)} s`);

    memory.phase('query plans');
    fleet.phase('query plans');
    const keyHash = (
      await pool.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE organization_id = $1', [
        organization.id,
      ])
    ).rows[0].key_hash;
    const statements = hotStatements(organization.id, keyHash, benchWabaId(7));
    printPlans(
      await checkPlans(pool, [
        ...statements.plans,
        ...processingPlanStatements(organization.id, benchWabaId(7)),
        ...marketingSendPlanStatements(organization.id, sends),
      ]),
    );

    memory.phase('HTTP load');
    fleet.phase('framework cost');
    const auth = { Authorization: `Bearer ${organization.key}` };
    const load = { connections: scale.connections, seconds: scale.loadSeconds };
    printFrameworkBench(await runFrameworkBench(fleet.url, load), out);
    // One phase per endpoint, so that the service's CPU time per request can be told apart; the endpoints take
    // turns in slices (probe, list, detail, probe, …), so that a busy moment of this shared machine weighs on
    // the baseline as on the paths measured against it, as the framework cost's halves do.
    const endpoints = [
      // The cheapest request through Express and Nest: the probe's route (plain /health/live is answered before them).
      { label: 'GET /health/live?route', url: `${fleet.url}/health/live?route` },
      { label: 'GET /api/v1/wabas', url: `${fleet.url}/api/v1/wabas`, headers: auth },
      { label: 'GET /api/v1/wabas/{id}', url: `${fleet.url}/api/v1/wabas/${benchWabaId(7)}`, headers: auth },
    ];
    const slices = apiSlices(scale);
    const runs = endpoints.map((): LoadResult[] => []);
    for (let slice = 0; slice < slices; slice += 1) {
      for (const [index, endpoint] of endpoints.entries()) {
        service.phase(endpoint.label);
        runs[index].push(
          await httpLoad(endpoint.label, endpoint.url, {
            ...load,
            seconds: scale.loadSeconds / slices,
            headers: endpoint.headers,
          }),
        );
      }
    }
    const [live, list, detail] = runs.map((slicesOfOne) => combine(slicesOfOne));
    fleet.phase('database ceilings (driver, service idle)');
    const db = { concurrency: scale.connections, seconds: scale.loadSeconds };
    const listSql = await driverLoad('list SQL', pool, statements.list, db);
    const detailSql = await driverLoad('detail SQL', pool, statements.detail, db);
    const cpuMsPerRequest = (run: LoadResult): number =>
      ((service.phaseFigures(run.label)?.cpuSeconds ?? 0) * 1000) / Math.max(1, run.total);
    printLoad(scale, live, cpuMsPerRequest, [
      [list, listSql],
      [detail, detailSql],
    ]);

    memory.phase('webhook ingestion');
    fleet.phase('webhook ingestion');
    const webhooks = await runWebhookBench(fleet.urls, pool, simulator, {
      firstSeq: scale.roundWabas,
      deliveries: scale.webhookDeliveries,
      concurrency: scale.webhookConcurrency,
      lagSamples: scale.lagSamples,
      numbersPerWaba: scale.numbersPerWaba,
    });
    printWebhooks(webhooks, live);

    memory.phase('webhook processing');
    fleet.phase('webhook processing');
    printProcessing(
      await runProcessingBench(fleet.url, pool, simulator, {
        firstSeq: scale.roundWabas + 2 * (scale.webhookDeliveries + scale.lagSamples) + 100,
        changes: quick ? 1_000 : 2_000,
        driverCallers: PROCESSING_DRIVER_CALLERS,
        kick: () => void service.kickInbox(),
      }),
    );

    memory.phase('connect through the API');
    fleet.phase('connect through the API');
    const connectOrganization = await createOrganization(fleet.url, 'Connect bench');
    const pid = fleet.instances[0].pid;
    printConnectBench(
      await runConnectBench(
        { url: fleet.url, organizationKey: connectOrganization.key, simulator, cpuSeconds: () => cpuSeconds(pid) ?? 0 },
        quick ? { sequential: 10, concurrent: 80 } : {},
      ),
      out,
    );

    memory.phase('sync round');
    fleet.phase('sync round, Meta at 100 ms');
    const round = await measureRound(fleet, pool, simulator, scale, roundWabaIds);
    printRound(round, seed);
    memory.phase('sync round, Meta at 0 ms');
    fleet.phase('sync round, Meta at 0 ms');
    printRound(await measureRound(fleet, pool, simulator, { ...scale, roundLatencyMs: 0 }, roundWabaIds), seed, round);
    await printMetricsSample(fleet.url);
    await fleet.stop();
    fleetPeaks.push(...fleet.peaks);
    fleet = null;

    memory.phase('several instances');
    const multi = await runMultiInstanceBench({
      quick,
      scale,
      pool,
      simulator,
      roundWabaIds,
      round,
      firstSeq: quick ? 3_000 : 20_000,
      env: (extra) => serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale, extra),
      measureRound: (instances, wabaIds) => measureRound(instances, pool as Pool, simulator, scale, wabaIds),
    });
    fleetPeaks.push(...multi.peaks);
    printMultiInstance(multi, out);
  } finally {
    await fleet?.stop();
    await pool?.end();
    await simulator.stop();
    await dropTestDatabase(databaseUrl).catch(() => undefined);
  }

  if (scale.perTokenRoundWabas > 0) {
    memory.phase('sync round, business tokens');
    printPerTokenRound(
      await runSyncRoundBench({
        wabas: scale.perTokenRoundWabas,
        latencyMs: scale.roundLatencyMs,
        systemUserToken: false,
        concurrency: scale.roundConcurrency,
      }),
    );
  }
  memory.stop();
  printMemory(fleetPeaks, memory);
  out();
  out(
    `bench finished in ${fmt((performance.now() - startedAt) / 1000, 1)} s; load average ${loadavg()
      .map((l) => fmt(l, 2))
      .join(' ')}`,
  );
}

/** The SQL the list and detail endpoints run per request (auth lookup first), and the hot queries to EXPLAIN. */
function hotStatements(organizationId: string, keyHash: string, wabaId: string) {
  const authenticate = {
    text: 'SELECT id, organization_id, key_hash, last_used_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL LIMIT 1',
    values: [keyHash],
  };
  // The list's and the detail's statements as the service runs them (WabaRepository: one read, or several in one).
  const readsOf = (count: number) => ({
    list: {
      text: namedStatement(LIST_PAGES_SQL).text,
      values: [Array(count).fill(organizationId), Array(count).fill(''), Array(count).fill(50)],
    },
    detail: {
      text: namedStatement(DETAILS_SQL).text,
      values: [Array(count).fill(organizationId), Array(count).fill(wabaId)],
    },
  });
  const listPage = readsOf(1).list;
  const findWaba = readsOf(1).detail;
  return {
    list: [authenticate, listPage],
    // The detail reads `associated_numbers` from the WABA row (kept by a trigger on phone_numbers).
    detail: [authenticate, findWaba],
    plans: [
      { name: 'authenticate API key', ...authenticate },
      { name: 'WABA list page', ...listPage },
      {
        name: 'WABA list, status + MM Lite filter',
        text: `SELECT w.waba_id, w.name, w.status, w.associated_numbers
                 FROM wabas w WHERE w.organization_id = $1 AND w.status = 'ACTIVE' AND w.mm_lite_status IS NULL
                ORDER BY w.waba_id LIMIT 51`,
        values: [organizationId],
      },
      {
        name: 'WABA list, q search',
        text: `SELECT w.* FROM wabas w WHERE w.organization_id = $1 AND (w.name ILIKE $2 OR w.waba_id LIKE $2)
                ORDER BY w.waba_id LIMIT 51`,
        values: [organizationId, '%99%'],
      },
      { name: 'WABA detail', ...findWaba },
      { name: 'WABA list, 8 pages in one statement', ...readsOf(8).list },
      { name: 'WABA detail, 8 in one statement', ...readsOf(8).detail },
      {
        name: 'phone number list of an organization',
        text: 'SELECT * FROM phone_numbers WHERE organization_id = $1 ORDER BY phone_number_id LIMIT 51',
        values: [organizationId],
      },
      {
        name: 'sync round claim',
        text: `SELECT id FROM wabas WHERE connection = 'CONNECTED' AND next_sync_at <= now()
                  AND (sync_claim_expires_at IS NULL OR sync_claim_expires_at < now())
                ORDER BY next_sync_at, id LIMIT 50 FOR UPDATE SKIP LOCKED`,
        values: [],
      },
    ],
  };
}

async function describeMachine(pool: Pool): Promise<string> {
  const cpu = cpus();
  const version = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  return (
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${fmt(totalmem() / 1024 ** 3, 0)} GiB RAM, ` +
    `Node ${process.version}, PostgreSQL ${version}${process.env.DATABASE_URL ? '' : ' (embedded)'}; ` +
    `load average ${loadavg()
      .map((load) => fmt(load, 2))
      .join(' ')} at start; the service runs as its own process(es) from dist/, the simulator and the load ` +
    'generators (autocannon in a worker thread) in the bench process, all on this machine'
  );
}

function printSeed(seed: SeedResult): void {
  out();
  out('## Seed (bulk SQL)');
  out(
    `seeded ${fmt(seed.organizations)} organizations, ${fmt(seed.wabas)} WABAs, ${fmt(seed.phoneNumbers)} phone numbers ` +
      `in ${fmt(seed.seconds, 1)} s (${fmt((seed.wabas + seed.phoneNumbers) / seed.seconds)} rows/s)`,
  );
}

function printPlans(plans: PlanCheck[]): void {
  out();
  out('## Query plans at this size (EXPLAIN ANALYZE)');
  for (const plan of plans) {
    const verdict = plan.scans.length > 0 ? `SEQ SCAN of ${plan.scans.join(', ')}` : 'no scan of a large table';
    out(`${plan.name}: ${fmt(plan.executionMs, 3)} ms, ${verdict} — ${plan.nodes.join(' > ')}`);
  }
  const scanning = plans.filter((plan) => plan.scans.length > 0).length;
  out(`plans checked: ${plans.length}, scanning a large table: ${scanning}`);
}

function printLoad(
  scale: BenchScale,
  live: LoadResult,
  cpuMsPerRequest: (run: LoadResult) => number,
  pairs: Array<[LoadResult, LoadResult]>,
): void {
  out();
  out(
    `## API under load (${scale.connections} connections, ${scale.loadSeconds} s each, in turns of ` +
      `${apiSlices(scale)} slices: probe, list, detail, probe, …; ` +
      'latency resolution 1 ms; autocannon in a worker thread)',
  );
  out(
    `framework ceiling  ${live.label}: ${fmt(live.requestsPerSecond)} req/s, p50 ${fmt(live.p50Ms)} ms, ` +
      `p99 ${fmt(live.p99Ms)} ms (${fmt(live.total)} requests, ${live.failures} failed); ` +
      `service CPU ${fmt(cpuMsPerRequest(live), 2)} ms/request`,
  );
  for (const [http, sql] of pairs) {
    out(
      `${http.label}: ${fmt(http.requestsPerSecond)} req/s, p50 ${fmt(http.p50Ms)} ms, p99 ${fmt(http.p99Ms)} ms ` +
        `(${fmt(http.total)} requests, ${http.failures} failed); service CPU ${fmt(cpuMsPerRequest(http), 2)} ms/request ` +
        `(${ratio(cpuMsPerRequest(http), cpuMsPerRequest(live))} the probe's route)`,
    );
    out(
      `  vs framework ceiling: throughput ${ratio(http.requestsPerSecond, live.requestsPerSecond)}, ` +
        `p99 ${fmt(http.p99Ms)} ms vs ${fmt(live.p99Ms)} ms`,
    );
    out(
      `  database ceiling (same SQL through the driver, ${scale.connections} callers, pool 20): ` +
        `${fmt(sql.requestsPerSecond)} req/s, p50 ${fmt(sql.p50Ms, 2)} ms, p99 ${fmt(sql.p99Ms, 2)} ms; ` +
        `service reaches ${ratio(http.requestsPerSecond, sql.requestsPerSecond)} of it`,
    );
  }
}

function printWebhooks(result: WebhookBenchResult, live: LoadResult): void {
  out();
  out(
    `## Webhook ingestion (${fmt(result.deliveries)} signed deliveries, ${result.concurrency} concurrent, after an unmeasured warm-up burst of a quarter of that)`,
  );
  out(`mix: ${describeMix(result.mix)}`);
  out(
    `accepted: ${fmt(result.acceptedPerSecond)} deliveries/s (${result.rejected} rejected); ` +
      `database ceiling (same insert through the driver): ${fmt(result.driverInsertsPerSecond)} inserts/s ` +
      `→ ${ratio(result.acceptedPerSecond, result.driverInsertsPerSecond)}; framework ceiling ${fmt(live.requestsPerSecond)} req/s ` +
      `→ ${ratio(result.acceptedPerSecond, live.requestsPerSecond)}`,
  );
  out(
    `  batched database ceiling (multi-row INSERTs of ${result.concurrency} through the driver, as the group commit ` +
      `writes): ${fmt(result.driverBatchedRowsPerSecond)} rows/s → ${ratio(result.acceptedPerSecond, result.driverBatchedRowsPerSecond)}`,
  );
  out(
    `burst fully visible (every account event's WABA DISABLED) ${fmt(result.burstDrainMs)} ms after its first POST ` +
      `= ${fmt(result.deliveries / (result.burstDrainMs / 1000))} deliveries/s processed end to end`,
  );
  out(
    `lag one at a time (200 → change visible, ${result.lagSamples} samples): p50 ${fmt(result.lagP50Ms, 1)} ms, ` +
      `p99 ${fmt(result.lagP99Ms, 1)} ms; floor (one UPDATE round trip) ${fmt(result.updateRoundTripMs, 2)} ms ` +
      `→ ${ratio(result.lagP50Ms, result.updateRoundTripMs)}`,
  );
}

function printHistory(seed: HistorySeed): void {
  out(
    `seeded history: ${fmt(seed.inboxRows)} processed inbox rows, ${fmt(seed.auditEvents)} audit events ` +
      `in ${fmt(seed.seconds, 1)} s`,
  );
}

function printProcessing(result: ProcessingBenchResult): void {
  out();
  out(
    `## Webhook processing (${fmt(result.changes)} stored deliveries at once; the worker: ${WEBHOOK_BATCH_LANES} ` +
      `lanes per instance, each applying up to ${WEBHOOK_BATCH_WABAS} WABAs' backlogs in one transaction)`,
  );
  out(
    `applied end to end: ${fmt(result.changesPerSecond)} changes/s (target 1,000/s → ` +
      `${ratio(result.changesPerSecond, 1_000)}); database ceiling (the same writes per change through the driver, ` +
      `${result.driverCallers} callers): ${fmt(result.driverChangesPerSecond)} changes/s → ` +
      `${ratio(result.changesPerSecond, result.driverChangesPerSecond)}`,
  );
  out(
    `a delivery posted right after the backlog visible ${fmt(result.probeVisibleMs)} ms after its 200 ` +
      `(target 3,000 ms → ${ratio(result.probeVisibleMs, 3_000)})`,
  );
}

/** A round's figures; with Meta at 0 ms, its rate against the target and `slower` (the round at 100 ms). */
function printRound(round: RoundFigures, seed: SeedResult, slower?: RoundFigures): void {
  if (slower) {
    const rate = round.wabas / (round.wallMs / 1000);
    out();
    out(`## The same round with Meta at 0 ms (the service's own cost: claims, applies, releases)`);
    out(
      `wall time ${fmt(round.wallMs / 1000, 2)} s = ${fmt(rate)} WABAs/s (target ≥ 3,000/s → ${ratio(rate, 3000)}); ` +
        `${ratio(slower.wallMs, round.wallMs)} faster than at ${slower.latencyMs} ms; succeeded ${fmt(round.succeeded)}, ` +
        `failed ${round.failed}, skipped ${round.skipped} (of ${fmt(round.wabas)} handled); ${fmt(round.graphCalls)} Graph calls`,
    );
    if (round.machineCpuMs !== null && round.wabas > 0) {
      // Service, PostgreSQL and the simulator share the cores: what the round cost all of them bounds its rate.
      const perWabaUs = (round.machineCpuMs * 1000) / round.wabas;
      const ceiling = (machineCores() * 1_000_000) / perWabaUs;
      out(
        `machine ceiling: ${machineCores()} cores ÷ ${fmt(perWabaUs)} µs of CPU per WABA (all processes: service, ` +
          `PostgreSQL, the simulator) = ${fmt(ceiling)} WABAs/s; reached ${ratio(rate, ceiling)} of it`,
      );
    }
    return;
  }
  const ideal = (round.graphCalls * round.latencyMs) / round.concurrency;
  out();
  out(
    `## Periodic re-sync round (${fmt(round.wabas)} due WABAs of ${fmt(seed.wabas)}, system-user token, ` +
      `Meta latency ${round.latencyMs} ms, SYNC_CONCURRENCY ${round.concurrency})`,
  );
  out(
    `wall time ${fmt(round.wallMs / 1000, 2)} s; ${fmt(round.graphCalls)} Graph calls = ` +
      `${fmt(round.graphCalls / Math.max(1, round.wabas), 3)} calls/WABA; succeeded ${fmt(round.succeeded)}, ` +
      `failed ${round.failed}, skipped ${round.skipped}`,
  );
  out(
    `ideal (calls × latency ÷ concurrency) ${fmt(ideal / 1000, 2)} s → ${ratio(round.wallMs, ideal)} of ideal; ` +
      `${fmt(round.wabas / (round.wallMs / 1000))} WABAs/s`,
  );
}

function printPerTokenRound(result: SyncRoundBenchResult): void {
  const ideal = (result.graphCalls * result.latencyMs) / result.concurrency;
  out();
  out(
    `## Re-sync round without a system-user token (${fmt(result.wabas)} WABAs, one business token each, ` +
      `own database, runSyncRoundBench: the service in the bench process, not an instance of its own)`,
  );
  out(
    `wall time ${fmt(result.roundMs / 1000, 2)} s; ${fmt(result.graphCalls)} Graph calls = ${result.graphCallsPerWaba} ` +
      `calls/WABA; ideal ${fmt(ideal / 1000, 2)} s → ${ratio(result.roundMs, ideal)} of ideal; ` +
      `succeeded ${fmt(result.succeeded)}, failed ${result.failed}, skipped ${result.skipped}`,
  );
}

async function printMetricsSample(serviceUrl: string): Promise<void> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const wanted = /^(sync_round_duration_seconds_(sum|count)|webhook_inbox_(depth|lag_seconds)|meta_graph_calls_total)/;
  out();
  out('## /metrics after the runs (excerpt)');
  for (const line of text.split('\n').filter((entry) => wanted.test(entry))) {
    out(line);
  }
}

function printMemory(fleet: FleetPhaseFigures[], harness: MemorySampler): void {
  out();
  out(
    "## The service's memory, peak RSS per phase (VmRSS of each instance's process, sampled every 150 ms; " +
      'target ≤ 400 MB per instance), and the CPU time its processes used in the phase (/proc utime + stime)',
  );
  for (const peak of fleet) {
    const verdict = peak.maxInstanceMiB * 1.048576 <= 400 ? 'within' : 'OVER';
    out(
      `${peak.phase}: ${fmt(peak.maxInstanceMiB)} MiB (${fmt(peak.maxInstanceMiB * 1.048576)} MB, ${verdict} 400 MB)` +
        (peak.instances > 1 ? `, all ${peak.instances} instances together ${fmt(peak.totalMiB)} MiB` : '') +
        `; service CPU ${fmt(peak.cpuSeconds, 1)} s` +
        (peak.atEnd
          ? `; at its end V8 heap ${fmt(peak.atEnd.heapUsedMiB)} used of ${fmt(peak.atEnd.heapTotalMiB)} MiB ` +
            `(new space ${fmt(peak.atEnd.newSpaceMiB)}), external ${fmt(peak.atEnd.externalMiB)} MiB`
          : ''),
    );
  }
  out();
  out('## Memory of the bench process (simulator, seeding, load generators; not the service), peak per phase');
  for (const peak of harness.peaks) {
    out(`${peak.phase}: RSS ${fmt(peak.rssMiB)} MiB, heap used ${fmt(peak.heapUsedMiB)} MiB`);
  }
}

main()
  .then(async () => {
    await stopEmbeddedDatabase();
    process.exit(0);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : 'error'}\n`);
    await stopEmbeddedDatabase().catch(() => undefined);
    process.exit(1);
  });

async function stopEmbeddedDatabase(): Promise<void> {
  await globalThis.__EMBEDDED_DATABASE__?.destroy();
}

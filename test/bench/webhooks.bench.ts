import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale, type BenchScale } from 'test/bench/bench-scale';
import { seedScale } from 'test/bench/bench-seed';
import { createOrganization, serviceEnv, startBenchBackends } from 'test/bench/bench-service';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
import {
  accountEventWabaIds,
  buildDeliveries,
  driverBatchedInsertRate,
  driverInsertRate,
  waitUntilDisabled,
} from 'test/bench/webhook-ingestion.bench';
import { describeMix, INTAKE_STATUS_SHARE } from 'test/bench/webhook-mix';
import { runProcessingBench } from 'test/bench/webhook-processing.bench';
import { webhookLoad } from 'test/bench/load-runner';
import { runWhenMain } from 'test/bench/standalone';
import { dropTestDatabase } from 'test/utils/test-database';

const DELIVERIES = 2_000;
const CONCURRENCY = 32;
const BURSTS = 2;

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * `npx ts-node --transpile-only -r tsconfig-paths/register test/bench/webhooks.bench.ts`: the webhook phases of
 * `npm run bench` alone, at full size (bursts of 2,000 signed deliveries at 32 connections, 9 in 10 of them
 * `messages` statuses and the rest account events (webhook-mix.ts), then a stored backlog
 * of 2,000 changes), on one instance from dist/ over a small seed, printing the service's CPU time per delivery
 * (the burst: intake plus the processing that runs beside it), per delivery made visible (burst and drain) and
 * per change processed (the backlog alone), from /proc: figures that barely move with the machine's load,
 * unlike the rates, which it prints too. With BENCH_SERVICE_CPU_PROF=<dir> the instance writes a CPU profile.
 */
async function main(): Promise<void> {
  await ensureBuild((line) => out(`build: ${line}`));
  const scale: BenchScale = { ...benchScale(true), organizations: 100, wabas: 12_000, benchOrganizationWabas: 100 };
  const { simulator, simulatorUrl, databaseUrl, encryptionKey } = await startBenchBackends();
  const pool = new Pool({ connectionString: databaseUrl, max: 20 });
  let fleet: Fleet | null = null;
  try {
    fleet = await Fleet.start(1, serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale));
    fleet.phase('seed');
    const organization = await createOrganization(fleet.url, 'Bench');
    const secrets = new SecretBox(encryptionKey);
    const token = simulator.issueToken({ wabaIds: [] });
    await seedScale(pool, scale, organization.id, secrets.seal(token), token, secrets.seal('000000'));
    out(
      `load average at start ${loadavg()
        .map((load) => fmt(load, 2))
        .join(' ')}`,
    );

    let seq = 200;
    // The database's ceilings for the same rows (service idle), as `npm run bench` measures them: the
    // intake target is a share of the single-row one.
    const ceilingRows = buildDeliveries(simulator, DELIVERIES, 1_000_000, {
      statusShare: INTAKE_STATUS_SHARE,
      numbersPerWaba: scale.numbersPerWaba,
    }).deliveries;
    fleet.phase('database ceilings');
    const driverInserts = await driverInsertRate(pool, ceilingRows, CONCURRENCY);
    const driverBatchedRows = await driverBatchedInsertRate(pool, ceilingRows, CONCURRENCY);
    fleet.phase('idle');
    out(
      `database ceilings (driver, service idle): ${fmt(driverInserts)} single-row inserts/s, ` +
        `${fmt(driverBatchedRows)} rows/s in INSERTs of ${CONCURRENCY}`,
    );
    for (let burst = 1; burst <= BURSTS; burst += 1) {
      const built = buildDeliveries(simulator, DELIVERIES, seq, {
        statusShare: INTAKE_STATUS_SHARE,
        numbersPerWaba: scale.numbersPerWaba,
      });
      seq = built.nextSeq;
      out(`burst ${burst} mix: ${describeMix(built.mix)}`);
      fleet.phase(`burst ${burst}`);
      const claimsBefore = await fleet.inboxClaims();
      const burstStart = monotonicMicros();
      const machineBefore = machineCpu();
      const postgresBefore = await databaseBackendsCpuSeconds(pool);
      const benchBefore = process.cpuUsage();
      const intake = await webhookLoad(fleet.urls, built.deliveries, CONCURRENCY);
      const benchCpu = process.cpuUsage(benchBefore);
      const postgresCpu = backendsCpuSince(postgresBefore);
      const machineAfter = machineCpu();
      fleet.phase(`drain ${burst}`);
      const drainStart = monotonicMicros();
      await waitUntilDisabled(pool, accountEventWabaIds(built.deliveries));
      const claimsAfter = await fleet.inboxClaims();
      fleet.phase('idle');
      // The windows on the clock V8's CPU profiles use (CLOCK_MONOTONIC, µs), to cut a profile to a phase.
      out(`window burst ${burst}: ${burstStart}-${drainStart}; drain ${burst}: ${drainStart}-${monotonicMicros()}`);
      const burstCpu = fleet.phaseFigures(`burst ${burst}`)?.cpuSeconds ?? 0;
      const drainCpu = fleet.phaseFigures(`drain ${burst}`)?.cpuSeconds ?? 0;
      out(
        `burst ${burst}: ${fmt(intake.acceptedPerSecond)} accepted/s (${intake.rejected} rejected, p50 ` +
          `${fmt(intake.p50Ms)} ms, p99 ${fmt(intake.p99Ms)} ms); service CPU ${fmt((burstCpu * 1e6) / DELIVERIES)} µs ` +
          `per delivery during the burst, ${fmt(((burstCpu + drainCpu) * 1e6) / DELIVERIES)} µs per delivery until all visible; ` +
          `${claimsAfter.claims - claimsBefore.claims} claims of ${fmt((claimsAfter.rows - claimsBefore.rows) / Math.max(1, claimsAfter.claims - claimsBefore.claims), 1)} rows on average until all visible`,
      );
      out(
        `  → ${fmt(intake.acceptedPerSecond / driverInserts, 2)}× the single-row ceiling; machine CPU busy ` +
          `${fmt(100 * (1 - (machineAfter.idle - machineBefore.idle) / Math.max(1, machineAfter.total - machineBefore.total)))} % during the burst; ` +
          `CPU per delivery of the database's PostgreSQL backends ${fmt((postgresCpu * 1e6) / DELIVERIES)} µs, ` +
          `of the load generator (this process) ${fmt((benchCpu.user + benchCpu.system) / DELIVERIES)} µs`,
      );
    }

    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM webhook_inbox WHERE status = 'DONE'",
    );
    out(`inbox rows DONE: ${rows[0].n}`);
    const service = fleet;
    const processingClaimsBefore = await fleet.inboxClaims();
    fleet.phase('processing');
    const processingStart = monotonicMicros();
    const processing = await runProcessingBench(fleet.url, pool, simulator, {
      firstSeq: seq + 100,
      changes: DELIVERIES,
      driverCallers: 12,
      kick: () => void service.kickInbox(),
    });
    const processingClaims = await fleet.inboxClaims();
    fleet.phase('idle');
    out(`window processing: ${processingStart}-${monotonicMicros()}`);
    const processingCpu = fleet.phaseFigures('processing')?.cpuSeconds ?? 0;
    out(
      `processing: ${fmt(processing.changesPerSecond)} changes/s (driver ${fmt(processing.driverChangesPerSecond)}/s), ` +
        `probe visible after ${fmt(processing.probeVisibleMs)} ms; service CPU ` +
        `${fmt((processingCpu * 1e6) / processing.changes)} µs per change (the driver baseline's time included, ` +
        'when the service idles); ' +
        `${processingClaims.claims - processingClaimsBefore.claims} claims of ` +
        `${fmt((processingClaims.rows - processingClaimsBefore.rows) / Math.max(1, processingClaims.claims - processingClaimsBefore.claims), 1)} rows on average (polls included)`,
    );
    out(
      `load average at end ${loadavg()
        .map((load) => fmt(load, 2))
        .join(' ')}`,
    );
  } finally {
    await fleet?.stop();
    await pool.end();
    await simulator.stop();
    await dropTestDatabase(databaseUrl).catch(() => undefined);
  }
}

/** The machine's CPU time since boot, all cores (ticks): idle (iowait included) and total, from /proc/stat. */
function machineCpu(): { idle: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return { idle: fields[3] + fields[4], total: fields.reduce((sum, value) => sum + value, 0) };
}

/**
 * CPU time of the PostgreSQL backends serving this database (the instance's pool and the bench's own), in
 * seconds, from /proc: the server's shared processes (WAL writer, checkpointer) and other databases' left out.
 */
async function databaseBackendsCpuSeconds(pool: Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database()',
  );
  return new Map(rows.map((row) => [row.pid, cpuSeconds(row.pid) ?? 0]));
}

/** CPU the backends of `before` used since, in seconds (a backend gone meanwhile counts what it had used). */
function backendsCpuSince(before: Map<number, number>): number {
  let seconds = 0;
  for (const [pid, at] of before) {
    seconds += (cpuSeconds(pid) ?? at) - at;
  }
  return seconds;
}

function monotonicMicros(): string {
  return String(process.hrtime.bigint() / 1000n);
}

runWhenMain(module, main);

import { loadavg } from 'node:os';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { benchScale, benchWabaId, type BenchScale } from 'test/bench/bench-scale';
import { seedScale } from 'test/bench/bench-seed';
import { createOrganization, serviceEnv, startBenchBackends } from 'test/bench/bench-service';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
import { webhookLoad } from 'test/bench/load-runner';
import { runWhenMain } from 'test/bench/standalone';
import { accountEventWabaIds, buildDeliveries, driverInsertRate } from 'test/bench/webhook-ingestion.bench';
import { INTAKE_STATUS_SHARE } from 'test/bench/webhook-mix';
import { dropTestDatabase } from 'test/utils/test-database';

const DELIVERIES = 2_000;
const BENCH_APPLICATION = 'webhook-cpu-bench';
const POLL_MS = 20;
const CONCURRENCY = 32;

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** One repetition's figures, in µs of CPU per delivery or change (service and its database's backends). */
interface Repetition {
  withProcessing: { serviceUs: number; untilVisibleUs: number; postgresUs: number; acceptedPerSecond: number };
  intakeAlone: {
    serviceUs: number;
    postgresUs: number;
    acceptedPerSecond: number;
    drainUs: number;
    drainPostgresUs: number;
  };
  processing: { serviceUs: number; postgresUs: number; changesPerSecond: number };
}

/**
 * `npx ts-node --transpile-only -r tsconfig-paths/register test/bench/webhook-cpu.bench.ts` (BENCH_REPS, default
 * 3): the webhook paths' CPU per operation, for A/B comparisons on a shared machine, each repetition back to
 * back on one instance from dist/: (a) a burst of 2,000 signed deliveries (the webhooks bench's mix) with the
 * inbox worker running, as in `npm run bench`; (b) the same burst with the worker paused (intake alone), then
 * the stored burst processed (the drain); (c) a stored backlog of 2,000 account changes processed. Prints the
 * service's and its PostgreSQL backends' CPU per delivery or change (/proc), each repetition and the medians,
 * and the burst's ratio to the driver's single-row INSERT ceiling measured in the same run. With
 * BENCH_PROFILE_INTAKE=<dir>, writes a CPU profile of the service during the last intake-alone burst there.
 */
async function main(): Promise<void> {
  await ensureBuild((line) => out(`build: ${line}`));
  const reps = Number(process.env.BENCH_REPS ?? 3);
  const scale: BenchScale = { ...benchScale(true), organizations: 100, wabas: 12_000, benchOrganizationWabas: 100 };
  const { simulator, simulatorUrl, databaseUrl, encryptionKey } = await startBenchBackends();
  // Named, so that the service's backends can be told from the bench's own (its polls are not the service's work).
  const pool = new Pool({ connectionString: databaseUrl, max: 20, application_name: BENCH_APPLICATION });
  let fleet: Fleet | null = null;
  try {
    fleet = await Fleet.start(1, serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale));
    const organization = await createOrganization(fleet.url, 'Bench');
    const secrets = new SecretBox(encryptionKey);
    const token = simulator.issueToken({ wabaIds: [] });
    await seedScale(pool, scale, organization.id, secrets.seal(token), token, secrets.seal('000000'));
    out(
      `load average at start ${loadavg()
        .map((load) => fmt(load, 2))
        .join(' ')}`,
    );
    const build = (seq: number) =>
      buildDeliveries(simulator, DELIVERIES, seq, {
        statusShare: INTAKE_STATUS_SHARE,
        numbersPerWaba: scale.numbersPerWaba,
      });
    const ceilingRows = build(1_000_000).deliveries;
    const driverBefore = await driverInsertRate(pool, ceilingRows, CONCURRENCY);

    let seq = 200;
    const warmUp = buildDeliveries(simulator, DELIVERIES / 2, seq, {
      statusShare: INTAKE_STATUS_SHARE,
      numbersPerWaba: scale.numbersPerWaba,
    });
    seq = warmUp.nextSeq;
    await webhookLoad(fleet.urls, warmUp.deliveries, CONCURRENCY);
    await waitUntilDisabled(pool, accountEventWabaIds(warmUp.deliveries));

    const service = fleet;
    const measure = async <T>(work: () => Promise<T>): Promise<{ result: T; service: number; postgres: number }> => {
      const postgresBefore = await backendsCpu(pool);
      const serviceBefore = cpuSeconds(service.instances[0].pid) ?? 0;
      const result = await work();
      return {
        result,
        service: (cpuSeconds(service.instances[0].pid) ?? 0) - serviceBefore,
        postgres: await backendsCpuSince(pool, postgresBefore),
      };
    };
    const perOp = (seconds: number, count: number): number => (seconds * 1e6) / count;

    const repetitions: Repetition[] = [];
    for (let rep = 1; rep <= reps; rep += 1) {
      const a = build(seq);
      seq = a.nextSeq;
      const burstA = await measure(() => webhookLoad(service.urls, a.deliveries, CONCURRENCY));
      const drainA = await measure(async () => {
        await waitUntilDisabled(pool, accountEventWabaIds(a.deliveries));
        await waitUntilNoneUnfinished(pool);
      });

      const b = build(seq);
      seq = b.nextSeq;
      await service.pauseInbox(true);
      // BENCH_PROFILE_INTAKE=<dir>: a V8 CPU profile of the service during the last intake-alone burst.
      const profileDir = rep === reps ? process.env.BENCH_PROFILE_INTAKE : undefined;
      if (profileDir) {
        await service.startCpuProfile();
      }
      const burstB = await measure(() => webhookLoad(service.urls, b.deliveries, CONCURRENCY));
      if (profileDir) {
        await service.stopCpuProfile(`${profileDir}/intake-alone-${process.pid}.cpuprofile`);
      }
      const drainB = await measure(async () => {
        await service.pauseInbox(false);
        await waitUntilDisabled(pool, accountEventWabaIds(b.deliveries));
        await waitUntilNoneUnfinished(pool);
      });

      const processing = await measure(async () => {
        const startedAt = performance.now();
        seq = await storeBacklog(pool, simulator, seq, DELIVERIES, async (wabaIds) => {
          await service.kickInbox();
          await waitUntilDisabled(pool, wabaIds);
        });
        return DELIVERIES / ((performance.now() - startedAt) / 1000);
      });
      const repetition: Repetition = {
        withProcessing: {
          serviceUs: perOp(burstA.service, DELIVERIES),
          untilVisibleUs: perOp(burstA.service + drainA.service, DELIVERIES),
          postgresUs: perOp(burstA.postgres, DELIVERIES),
          acceptedPerSecond: burstA.result.acceptedPerSecond,
        },
        intakeAlone: {
          serviceUs: perOp(burstB.service, DELIVERIES),
          postgresUs: perOp(burstB.postgres, DELIVERIES),
          acceptedPerSecond: burstB.result.acceptedPerSecond,
          drainUs: perOp(drainB.service, DELIVERIES),
          drainPostgresUs: perOp(drainB.postgres, DELIVERIES),
        },
        processing: {
          serviceUs: perOp(processing.service, DELIVERIES),
          postgresUs: perOp(processing.postgres, DELIVERIES),
          changesPerSecond: processing.result,
        },
      };
      repetitions.push(repetition);
      out(
        `rep ${rep}: ${JSON.stringify(repetition, (_key, value: unknown) => (typeof value === 'number' ? Math.round(value) : value))}`,
      );
    }
    const driverAfter = await driverInsertRate(pool, ceilingRows, CONCURRENCY);
    const median = (pick: (repetition: Repetition) => number): string => {
      const values = repetitions.map(pick).sort((x, y) => x - y);
      return `${fmt(values[Math.floor(values.length / 2)])} (${fmt(values[0])}–${fmt(values[values.length - 1])})`;
    };
    const driver = (driverBefore + driverAfter) / 2;
    out(`driver single-row INSERTs/s: ${fmt(driverBefore)} before, ${fmt(driverAfter)} after`);
    out(
      `burst with processing ÷ driver: ${repetitions.map((r) => fmt(r.withProcessing.acceptedPerSecond / driver, 2)).join(', ')}; ` +
        `intake alone ÷ driver: ${repetitions.map((r) => fmt(r.intakeAlone.acceptedPerSecond / driver, 2)).join(', ')}`,
    );
    out(`medians (range) over ${reps}, µs of CPU per delivery or change:`);
    out(
      `  (a) burst with processing: service ${median((r) => r.withProcessing.serviceUs)}, until all processed ${median((r) => r.withProcessing.untilVisibleUs)}, postgres ${median((r) => r.withProcessing.postgresUs)}, accepted/s ${median((r) => r.withProcessing.acceptedPerSecond)}`,
    );
    out(
      `  (b) intake alone: service ${median((r) => r.intakeAlone.serviceUs)}, postgres ${median((r) => r.intakeAlone.postgresUs)}, accepted/s ${median((r) => r.intakeAlone.acceptedPerSecond)}; its drain: service ${median((r) => r.intakeAlone.drainUs)}, postgres ${median((r) => r.intakeAlone.drainPostgresUs)} per delivery`,
    );
    out(
      `  (c) stored backlog of account changes: service ${median((r) => r.processing.serviceUs)}, postgres ${median((r) => r.processing.postgresUs)}, changes/s ${median((r) => r.processing.changesPerSecond)}`,
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

/** Stores `count` DISABLED_UPDATE rows for fresh WABAs from `fromSeq` as intake would, runs `process`; the next seq. */
async function storeBacklog(
  pool: Pool,
  simulator: MetaSimulator,
  fromSeq: number,
  count: number,
  process: (wabaIds: string[]) => Promise<void>,
): Promise<number> {
  const time = Math.floor(Date.now() / 1000);
  const wabaIds: string[] = [];
  let seq = fromSeq;
  for (; wabaIds.length < count; seq += 1) {
    if (seq % 25 !== 0) {
      wabaIds.push(benchWabaId(seq));
    }
  }
  const bodies = wabaIds.map((wabaId) =>
    JSON.stringify(
      simulator.buildWebhook(
        'account_update',
        { event: 'DISABLED_UPDATE', ban_info: { waba_ban_state: 'DISABLE', waba_ban_date: 'today' } },
        wabaId,
        time,
      ),
    ),
  );
  await pool.query(
    `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                                next_attempt_at)
     SELECT gen_random_uuid(), clock_timestamp(), now(), md5('p' || k) || md5('q' || k), k, b::jsonb, 'PENDING', 0, now()
       FROM unnest($1::text[], $2::text[]) AS u(k, b)`,
    [wabaIds, bodies],
  );
  await process(wabaIds);
  return seq;
}

async function waitUntilDisabled(pool: Pool, wabaIds: string[]): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM wabas WHERE waba_id = ANY($1::text[]) AND status = 'DISABLED'",
      [wabaIds],
    );
    if (rows[0].n === wabaIds.length) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function waitUntilNoneUnfinished(pool: Pool): Promise<void> {
  for (;;) {
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM webhook_inbox WHERE status IN ('PENDING', 'PROCESSING')",
    );
    if (rows[0].n === 0) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function backendsCpu(pool: Pool): Promise<Map<number, number>> {
  const { rows } = await pool.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name <> $1',
    [BENCH_APPLICATION],
  );
  return new Map(rows.map((row) => [row.pid, cpuSeconds(row.pid) ?? 0]));
}

/** CPU the service's backends used since `before`, in seconds (those that started meanwhile: all they used). */
async function backendsCpuSince(pool: Pool, before: Map<number, number>): Promise<number> {
  const after = await backendsCpu(pool);
  let seconds = 0;
  for (const [pid, at] of before) {
    seconds += (after.get(pid) ?? cpuSeconds(pid) ?? at) - at;
  }
  for (const [pid, now] of after) {
    if (!before.has(pid)) {
      seconds += now;
    }
  }
  return seconds;
}

runWhenMain(module, main);

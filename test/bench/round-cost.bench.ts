import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale } from 'test/bench/bench-scale';
import { mirrorInSimulator, seedScale } from 'test/bench/bench-seed';
import { createOrganization, measureRound, serviceEnv, startBenchSimulator } from 'test/bench/bench-service';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
import { postgresCpuMs, postmasterPid } from 'test/bench/machine-cpu';
import { runWhenMain } from 'test/bench/standalone';
import { createTestDatabase, dropTestDatabase } from 'test/utils/test-database';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/**
 * The service's own cost of a periodic round with Meta at 0 ms (issue 13, sync rounds), in figures that hold on
 * a busy machine: one instance of the production build (test/bench/fleet.ts) on its own seeded database, a
 * warm-up round (it applies the renames the seed left at Meta), then `BENCH_ROUNDS` (default 3) rounds of the
 * same `BENCH_WABAS` (default 10,000) due WABAs, three numbers each, each printing the instance's CPU time per
 * 1,000 WABAs (from /proc), and the statements it sent per 50 WABAs (one multi-ID chunk), by kind, with the
 * characters of their texts and parameters, and the CPU time of PostgreSQL (this bench's embedded cluster) and of
 * the bench process (the simulator) in the round. The wall time is printed too, but it moves with the machine's
 * load. `ROUND_PROFILE=<file>` writes a CPU profile of the instance during the last round (sampled every
 * 200 µs).
 *
 * `npx ts-node --transpile-only -r tsconfig-paths/register test/bench/round-cost.bench.ts`
 */
async function main(): Promise<void> {
  const wabas = Number(process.env.BENCH_WABAS ?? 10_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const scale = {
    ...benchScale(true),
    organizations: 100,
    wabas,
    benchOrganizationWabas: 100,
    roundWabas: wabas,
    roundLatencyMs: 0,
  };
  process.env.LOG_LEVEL = 'silent';
  await ensureBuild((line) => out(`build: ${line}`));
  const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
  await setUpTestDatabase();
  const { simulator, url: simulatorUrl } = await startBenchSimulator();
  const databaseUrl = await createTestDatabase();
  const pool = new Pool({ connectionString: databaseUrl, max: 2 });
  const encryptionKey = randomBytes(32).toString('base64');
  let fleet: Fleet | null = null;
  try {
    fleet = await Fleet.start(1, serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale));
    const organization = await createOrganization(fleet.url, 'Round cost');
    const roundWabaIds = mirrorInSimulator(simulator, scale, scale.roundWabas);
    const token = simulator.issueToken({ wabaIds: roundWabaIds });
    const secrets = new SecretBox(encryptionKey);
    await seedScale(pool, scale, organization.id, secrets.seal(token), token, secrets.seal('000000'));
    const pid = fleet.instances[0].pid;
    const postmaster = await postmasterPid(pool);
    await fleet.pgStatements();
    for (let round = 0; round <= rounds; round++) {
      const profile = round === rounds ? process.env.ROUND_PROFILE : undefined;
      if (profile) {
        await fleet.startCpuProfile();
      }
      const cpuBefore = cpuSeconds(pid) ?? 0;
      const postgresBefore = postgresCpuMs(postmaster);
      const updatesBefore = await tableUpdates(pool);
      const benchBefore = process.cpuUsage();
      const figures = await measureRound(fleet, pool, simulator, scale, roundWabaIds);
      const cpuMs = ((cpuSeconds(pid) ?? 0) - cpuBefore) * 1000;
      const postgresMs = postgresCpuMs(postmaster) - postgresBefore;
      const bench = process.cpuUsage(benchBefore);
      const benchMs = (bench.user + bench.system) / 1000;
      const updates = await tableUpdates(pool);
      const hot = [...updates]
        .map(([table, { all, hot: hotOnes }]) => {
          const before = updatesBefore.get(table) ?? { all: 0, hot: 0 };
          return `${table} ${all - before.all} (${hotOnes - before.hot} HOT)`;
        })
        .join(', ');
      if (profile) {
        await fleet.stopCpuProfile(profile);
      }
      // makeDue's UPDATE goes through the bench's own pool, not the instance's.
      const { counts: statements, chars } = await fleet.pgStatements();
      const total = [...statements.values()].reduce((sum, count) => sum + count, 0);
      out(
        `${round === 0 ? 'warm-up' : `round ${round}`}: ${figures.succeeded} of ${figures.wabas} succeeded, ` +
          `${figures.graphCalls} Graph calls, wall ${Math.round(figures.wallMs)} ms, load ${loadavg()[0].toFixed(1)}; ` +
          `service CPU ${Math.round(cpuMs)} ms = ${((cpuMs * 1000) / figures.wabas).toFixed(1)} ms per 1,000 WABAs; ` +
          `${total} statements = ${((total * 50) / figures.wabas).toFixed(2)} per 50 WABAs, ` +
          `${Math.round((chars * 50) / figures.wabas / 1000)} k characters sent per 50 WABAs; ` +
          `PostgreSQL CPU ${Math.round(postgresMs)} ms, bench process (simulator) CPU ${Math.round(benchMs)} ms; ` +
          `row updates: ${hot}`,
      );
      if (round === rounds) {
        for (const [key, count] of [...statements].sort((a, b) => b[1] - a[1])) {
          out(`${String(count).padStart(7)} ${key}`);
        }
      }
    }
  } finally {
    await fleet?.stop();
    await pool.end();
    await simulator.stop();
    await dropTestDatabase(databaseUrl).catch(() => undefined);
  }
}

/** Rows updated so far in the round's tables, and how many of those updates were HOT (no index entry written). */
async function tableUpdates(pool: Pool): Promise<Map<string, { all: number; hot: number }>> {
  // The statistics are sent by each backend at its transaction's end, and read once per transaction here.
  await pool.query('SELECT pg_stat_force_next_flush()').catch(() => undefined);
  const { rows } = await pool.query<{ relname: string; all: string; hot: string }>(
    `SELECT relname, n_tup_upd AS all, n_tup_hot_upd AS hot FROM pg_stat_user_tables
      WHERE relname IN ('wabas', 'phone_numbers') ORDER BY relname`,
  );
  return new Map(rows.map((row) => [row.relname, { all: Number(row.all), hot: Number(row.hot) }]));
}

runWhenMain(module, main);

import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale } from 'test/bench/bench-scale';
import { mirrorInSimulator, seedScale } from 'test/bench/bench-seed';
import { createOrganization, measureRound, serviceEnv, startBenchSimulator } from 'test/bench/bench-service';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
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
 * characters of their texts and parameters. The wall time is printed too, but it moves with the machine's
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
    await fleet.pgStatements();
    for (let round = 0; round <= rounds; round++) {
      const profile = round === rounds ? process.env.ROUND_PROFILE : undefined;
      if (profile) {
        await fleet.startCpuProfile();
      }
      const cpuBefore = cpuSeconds(pid) ?? 0;
      const figures = await measureRound(fleet, pool, simulator, scale, roundWabaIds);
      const cpuMs = ((cpuSeconds(pid) ?? 0) - cpuBefore) * 1000;
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
          `${Math.round((chars * 50) / figures.wabas / 1000)} k characters sent per 50 WABAs`,
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

runWhenMain(module, main);

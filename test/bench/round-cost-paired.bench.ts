import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

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

interface Side {
  name: string;
  fleet: Fleet;
  pool: Pool;
  databaseUrl: string;
  serviceMsPerWaba: number[];
}

/**
 * A/B of the Meta-0 round's service CPU per WABA (round-cost.bench.ts) between this checkout and another built
 * one (`ROUND_BASE=<dir>`, its `dist/` built), measured in the same run: each side its own instance and
 * database, one simulator, rounds taken in turns (A B, B A, …) so that both see the machine as busy as the
 * other, `BENCH_ROUNDS` (default 6) each after a warm-up. Prints each round's service CPU per WABA and the
 * medians; with `BENCH_LATENCY_MS` (Meta's latency, default 0) above 0, each round's wall time against the ideal
 * (Graph calls × latency ÷ SYNC_CONCURRENCY) too.
 *
 * `ROUND_BASE=/path/to/base npx ts-node --transpile-only -r tsconfig-paths/register test/bench/round-cost-paired.bench.ts`
 */
async function main(): Promise<void> {
  const baseDir = process.env.ROUND_BASE;
  if (!baseDir) {
    throw new Error('ROUND_BASE=<another built checkout> is required');
  }
  const wabas = Number(process.env.BENCH_WABAS ?? 10_000);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
  const scale = {
    ...benchScale(true),
    organizations: 100,
    wabas,
    benchOrganizationWabas: 100,
    roundWabas: wabas,
    roundLatencyMs: Number(process.env.BENCH_LATENCY_MS ?? 0),
  };
  process.env.LOG_LEVEL = 'silent';
  await ensureBuild((line) => out(`build: ${line}`));
  // The other checkout's fleet module: the same code, but its instances run that checkout's dist/.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Fleet: BaseFleet } = require(resolve(baseDir, 'test/bench/fleet')) as { Fleet: typeof Fleet };
  const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
  await setUpTestDatabase();
  const { simulator, url: simulatorUrl } = await startBenchSimulator();
  const roundWabaIds = mirrorInSimulator(simulator, scale, scale.roundWabas);
  const token = simulator.issueToken({ wabaIds: roundWabaIds });
  const sides: Side[] = [];
  try {
    for (const [name, FleetOf] of [
      ['base', BaseFleet],
      ['this', Fleet],
    ] as const) {
      const databaseUrl = await createTestDatabase();
      const pool = new Pool({ connectionString: databaseUrl, max: 2 });
      const encryptionKey = randomBytes(32).toString('base64');
      const fleet = await FleetOf.start(1, serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale));
      sides.push({ name, fleet, pool, databaseUrl, serviceMsPerWaba: [] });
      const organization = await createOrganization(fleet.url, `Round cost ${name}`);
      const secrets = new SecretBox(encryptionKey);
      await seedScale(pool, scale, organization.id, secrets.seal(token), token, secrets.seal('000000'));
    }
    for (let round = 0; round <= rounds; round++) {
      const order = round % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        const pid = side.fleet.instances[0].pid;
        const cpuBefore = cpuSeconds(pid) ?? 0;
        const figures = await measureRound(side.fleet, side.pool, simulator, scale, roundWabaIds);
        const cpuMs = ((cpuSeconds(pid) ?? 0) - cpuBefore) * 1000;
        const perWaba = (cpuMs * 1000) / figures.wabas;
        const ideal = (figures.graphCalls * scale.roundLatencyMs) / scale.roundConcurrency;
        if (round > 0) {
          side.serviceMsPerWaba.push(perWaba);
        }
        out(
          `${round === 0 ? 'warm-up' : `round ${round}`} ${side.name}: ${figures.succeeded} of ${figures.wabas} ` +
            `succeeded, wall ${Math.round(figures.wallMs)} ms` +
            (ideal > 0 ? ` = ${(figures.wallMs / ideal).toFixed(2)}× the ideal ${Math.round(ideal)} ms` : '') +
            `, ${Math.round((figures.wabas * 1000) / figures.wallMs)} WABAs/s, service CPU ${perWaba.toFixed(0)} µs per WABA`,
        );
      }
    }
    for (const side of sides) {
      const sorted = [...side.serviceMsPerWaba].sort((a, b) => a - b);
      out(
        `${side.name}: median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} µs per WABA ` +
          `(min ${sorted[0].toFixed(0)}, max ${sorted[sorted.length - 1].toFixed(0)})`,
      );
    }
  } finally {
    for (const side of sides) {
      await side.fleet.stop();
      await side.pool.end();
      await dropTestDatabase(side.databaseUrl).catch(() => undefined);
    }
    await simulator.stop();
  }
}

runWhenMain(module, main);

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale, benchWabaId } from 'test/bench/bench-scale';
import { seedScale } from 'test/bench/bench-seed';
import { httpLoad, type LoadResult } from 'test/bench/load-runner';
import { createTestApp } from 'test/utils/create-test-app';

/** List and detail against `/health/live`, measured one after the other in the same run. */
export interface WabasReadBenchResult {
  live: LoadResult;
  list: LoadResult;
  detail: LoadResult;
}

/**
 * The WABA list and detail under load on their own: boots the app on its own database, seeds the bench
 * scale (the biggest organization first), and loads `/health/live`, a list page and a detail in turn.
 * `BENCH_FULL=1` for the full scale, `BENCH_SECONDS` per phase. For profiling one path:
 * `node --cpu-prof -r ts-node/register/transpile-only -r tsconfig-paths/register test/bench/wabas-read.bench.ts`.
 */
export async function runWabasReadBench(quick: boolean, seconds?: number): Promise<WabasReadBenchResult> {
  const scale = benchScale(quick);
  const sut = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000000' } });
  const pool = new Pool({ connectionString: sut.databaseUrl, max: 4 });
  try {
    const organization = await sut.createOrganization('Bench');
    const secrets = sut.app.get(SecretBox);
    await seedScale(pool, scale, organization.id, secrets.seal('token'), 'token', secrets.seal('000000'));
    const auth = { Authorization: `Bearer ${organization.key}` };
    const load = { connections: scale.connections, seconds: seconds ?? scale.loadSeconds };
    const live = await httpLoad('GET /health/live', `${sut.url}/health/live`, load);
    const list = await httpLoad('GET /api/v1/wabas', `${sut.url}/api/v1/wabas`, { ...load, headers: auth });
    const detail = await httpLoad('GET /api/v1/wabas/{id}', `${sut.url}/api/v1/wabas/${benchWabaId(7)}`, {
      ...load,
      headers: auth,
    });
    return { live, list, detail };
  } finally {
    await pool.end();
    await sut.close();
  }
}

async function main(): Promise<void> {
  process.env.TZ = 'UTC';
  process.env.LOG_LEVEL ??= 'silent';
  process.env.TEST_LOG_LEVEL ??= 'silent';
  const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
  await setUpTestDatabase();
  try {
    const seconds = process.env.BENCH_SECONDS ? Number(process.env.BENCH_SECONDS) : undefined;
    const result = await runWabasReadBench(process.env.BENCH_FULL !== '1', seconds);
    for (const phase of [result.live, result.list, result.detail]) {
      process.stdout.write(
        `${phase.label}: ${Math.round(phase.requestsPerSecond)} req/s, p50 ${phase.p50Ms} ms, p99 ${phase.p99Ms} ms, ` +
          `${(phase.requestsPerSecond / result.live.requestsPerSecond).toFixed(2)}× live (${phase.failures} failed)\n`,
      );
    }
  } finally {
    await globalThis.__EMBEDDED_DATABASE__?.destroy();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : 'bench failed'}\n`);
      process.exit(1);
    },
  );
}

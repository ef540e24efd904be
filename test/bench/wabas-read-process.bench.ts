import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale, benchWabaId } from 'test/bench/bench-scale';
import { seedScale } from 'test/bench/bench-seed';
import { cpuSeconds } from 'test/bench/fleet';
import { httpLoad, type LoadResult } from 'test/bench/load-runner';
import { postgresCpuMs, postmasterPid } from 'test/bench/machine-cpu';
import { createTestApp } from 'test/utils/create-test-app';
import { startServiceProcess } from 'test/utils/service-process';

/** One load phase with the CPU it cost the service process and the database cluster. */
interface PhaseFigures extends LoadResult {
  serviceCpuUsPerRequest: number;
  databaseCpuUsPerRequest: number;
  /** Transactions the database committed per request: each statement outside a transaction is one. */
  statementsPerRequest: number;
}

/**
 * `npx ts-node --transpile-only -r tsconfig-paths/register test/bench/wabas-read-process.bench.ts`: the routed
 * probe (`/health/live?route`), the WABA list and the detail against the service running as its own process
 * (src/main.ts), with the CPU time each request cost the service (/proc/<pid>/stat) and the database cluster
 * (the postmaster and its backends), which on a shared machine is steadier than req/s.
 *
 * Seeds once, then runs every service checkout of `BENCH_ROOTS` (`label=path,label=path`, default this one) in
 * turn, `BENCH_ROUNDS` times (default 2), so that two versions are compared back to back on one database.
 * `BENCH_FULL=1` for the full scale (2,800-WABA organization, 50k/150k), `BENCH_SECONDS` per phase,
 * `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each service process there, `BENCH_PHASES=list` runs only
 * the phases named (probe, list, detail), so that a profile holds one path; `BENCH_LIST_QUERY=?limit=1` is
 * appended to the list's URL (the cost of a page's rows against the request's own).
 */
async function main(): Promise<void> {
  process.env.TZ = 'UTC';
  process.env.LOG_LEVEL ??= 'silent';
  process.env.TEST_LOG_LEVEL ??= 'silent';
  if (!process.env.TEST_ADMIN_DATABASE_URL) {
    const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
    await setUpTestDatabase();
  }
  const scale = benchScale(process.env.BENCH_FULL !== '1');
  const seconds = Number(process.env.BENCH_SECONDS ?? scale.loadSeconds);
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  // `BENCH_PHASES=list` (or `probe,detail`, …): only those phases, e.g. for a CPU profile of one path.
  const only = process.env.BENCH_PHASES?.split(',');
  const roots = (process.env.BENCH_ROOTS ?? `this=${resolve(__dirname, '..', '..')}`).split(',').map((entry) => {
    const [label, path] = entry.split('=');
    return { label, path };
  });

  const seeder = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000000' } });
  const organization = await seeder.createOrganization('Bench');
  const pool = new Pool({ connectionString: seeder.databaseUrl, max: 4 });
  const secrets = seeder.app.get(SecretBox);
  const seeded = await seedScale(pool, scale, organization.id, secrets.seal('token'), 'token', secrets.seal('000000'));
  // Settle the seeded tables now, so that autovacuum does not bill its work to the first measured phases.
  await pool.query('VACUUM ANALYZE');
  await pool.query('CHECKPOINT');
  await pool.end();
  await seeder.close({ keepDatabase: true, keepSimulator: true });
  out(`seeded ${seeded.wabas} WABAs, ${seeded.phoneNumbers} numbers; ${scale.connections} connections, ${seconds} s`);

  const auth = { Authorization: `Bearer ${organization.key}` };
  const stats = new Pool({ connectionString: seeder.databaseUrl, max: 1 });
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const root of roots) {
        const service = await startService(root.path, seeder.databaseUrl);
        try {
          const load = { connections: scale.connections, seconds };
          // Warm-up: JIT, pools and plans, not measured.
          await httpLoad('warm', `${service.url}/api/v1/wabas`, { ...load, seconds: 2, headers: auth });
          const targets = [
            { label: 'routed probe', url: `${service.url}/health/live?route`, headers: {} },
            { label: 'list', url: `${service.url}/api/v1/wabas${process.env.BENCH_LIST_QUERY ?? ''}`, headers: auth },
            { label: 'detail', url: `${service.url}/api/v1/wabas/${benchWabaId(7)}`, headers: auth },
          ].filter((target) => !only || only.includes(target.label.split(' ').pop() as string));
          const phases: PhaseFigures[] = [];
          for (const target of targets) {
            phases.push(
              await phase(stats, service.child, target.label, target.url, { ...load, headers: target.headers }),
            );
          }
          const probe = phases[0].requestsPerSecond;
          for (const figures of phases) {
            out(
              `${root.label} #${round} ${figures.label.padEnd(12)} ${Math.round(figures.requestsPerSecond)} req/s ` +
                `(${(figures.requestsPerSecond / probe).toFixed(2)}× probe), p50 ${figures.p50Ms} ms, ` +
                `p99 ${figures.p99Ms} ms, service ${figures.serviceCpuUsPerRequest} µs/req, ` +
                `database ${figures.databaseCpuUsPerRequest} µs/req, ` +
                `${figures.statementsPerRequest.toFixed(2)} statements/req, ${figures.failures} failed`,
            );
          }
        } finally {
          await stopService(service.child);
        }
      }
    }
  } finally {
    await stats.end();
    await seeder.simulator.stop();
    await globalThis.__EMBEDDED_DATABASE__?.destroy();
  }
}

async function phase(
  stats: Pool,
  child: ChildProcess,
  label: string,
  url: string,
  load: { connections: number; seconds: number; headers?: Record<string, string> },
): Promise<PhaseFigures> {
  const commitsBefore = await committed(stats);
  const postmaster = await postmasterPid(stats);
  const serviceBefore = cpuSeconds(child.pid as number) ?? 0;
  const databaseBefore = postgresCpuMs(postmaster);
  const result = await httpLoad(label, url, load);
  const serviceSeconds = (cpuSeconds(child.pid as number) ?? 0) - serviceBefore;
  const databaseMs = postgresCpuMs(postmaster) - databaseBefore;
  const requests = Math.max(1, result.total);
  return {
    ...result,
    serviceCpuUsPerRequest: Math.round((serviceSeconds * 1_000_000) / requests),
    databaseCpuUsPerRequest: Math.round((databaseMs * 1000) / requests),
    statementsPerRequest: ((await committed(stats)) - commitsBefore) / requests,
  };
}

function startService(root: string, databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  const profileDir = process.env.BENCH_CPU_PROF;
  return startServiceProcess(
    databaseUrl,
    { RATE_LIMIT_PER_MINUTE: '1000000000', LOG_LEVEL: process.env.SERVICE_LOG_LEVEL ?? 'silent' },
    {
      root,
      nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
      startTimeoutMs: 180_000,
    },
  );
}

// The database's committed transactions; backends publish their counts within a second of going idle.
async function committed(stats: Pool): Promise<number> {
  await new Promise((resolveWait) => setTimeout(resolveWait, 1_500));
  const { rows } = await stats.query<{ commits: string }>(
    'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0].commits);
}

// SIGTERM, so that the service shuts down through its own hook and a CPU profile gets written.
async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.kill('SIGTERM');
  await exited;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
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

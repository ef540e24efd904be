import { loadavg } from 'node:os';

import { benchScale } from 'test/bench/bench-scale';
import { createOrganization, serviceEnv, startBenchBackends } from 'test/bench/bench-service';
import { printConnectBench, runConnectBench } from 'test/bench/connect.bench';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
import { runWhenMain } from 'test/bench/standalone';
import { createTestApp } from 'test/utils/create-test-app';
import { recordStatements } from 'test/utils/sql-statements';
import { dropTestDatabase } from 'test/utils/test-database';

/** What one connect sent to PostgreSQL, by statement text (parameters aside). */
export interface ConnectStatements {
  /** Statements per connect, averaged over the connects counted. */
  perConnect: number;
  /** Of those, the transactions' BEGIN / COMMIT / ROLLBACK / SAVEPOINT ones. */
  transactionControlPerConnect: number;
  /** Each distinct statement of the last connect and how often it ran, in order of first use. */
  lastConnect: Array<{ sql: string; count: number }>;
}

/**
 * Counts the SQL statements one connect (`POST /api/v1/phone-numbers` with a fresh code) sends, in an
 * in-process service (every query of `pg`'s client passes one counting wrapper), one connect at a time
 * after a few uncounted ones warmed the paths. The count does not depend on the machine's load.
 */
export async function countConnectStatements(connects = 10, warmup = 3): Promise<ConnectStatements> {
  const sut = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000000' } });
  try {
    const organization = await sut.createOrganization('Connect statements');
    const connect = async (): Promise<void> => {
      const session = sut.simulator.createSignupSession({ wabaName: 'Connect statements' });
      await sut
        .http()
        .post('/api/v1/phone-numbers')
        .set('Authorization', `Bearer ${organization.key}`)
        .send({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId })
        .expect(201);
    };
    for (let index = 0; index < warmup; index += 1) {
      await connect();
    }
    let total = 0;
    let control = 0;
    let last: string[] = [];
    for (let index = 0; index < connects; index += 1) {
      const log = await recordStatements(connect);
      total += log.texts.length;
      control += log.count(TRANSACTION_CONTROL);
      last = log.texts;
    }
    const counts = new Map<string, number>();
    for (const sql of last) {
      counts.set(sql, (counts.get(sql) ?? 0) + 1);
    }
    return {
      perConnect: total / connects,
      transactionControlPerConnect: control / connects,
      lastConnect: [...counts].map(([sql, count]) => ({ sql, count })),
    };
  } finally {
    await sut.close();
  }
}

const TRANSACTION_CONTROL = /^\s*(begin|commit|rollback|savepoint|release savepoint)\b/i;

/**
 * `ts-node … test/bench/connect-cost.bench.ts`: the connect's own cost, in figures that hold on a busy machine —
 * SQL statements per connect (in-process count) and the service's CPU per connect with the service as its own
 * process from `dist/` (`BENCH_SERVICE_CPU_PROF=<dir>` profiles it) — and the connect bench's ratio to its ideal.
 * `--statements` stops after the count.
 */
async function main(): Promise<void> {
  const out = (line = ''): void => {
    process.stdout.write(`${line}\n`);
  };
  const statements = await countConnectStatements();
  out(
    `SQL statements per connect: ${statements.perConnect.toFixed(1)} ` +
      `(${statements.transactionControlPerConnect.toFixed(1)} of them BEGIN/COMMIT/SAVEPOINT)`,
  );
  for (const { sql, count } of statements.lastConnect) {
    out(`  ${String(count).padStart(2)} × ${sql.length > 150 ? `${sql.slice(0, 147)}…` : sql}`);
  }
  if (process.argv.includes('--statements')) {
    return;
  }

  await ensureBuild((line) => out(`build: ${line}`));
  const { simulator, simulatorUrl, databaseUrl, encryptionKey } = await startBenchBackends();
  const fleet = await Fleet.start(1, serviceEnv(databaseUrl, simulatorUrl, encryptionKey, benchScale(true)));
  try {
    const organization = await createOrganization(fleet.url, 'Connect bench');
    const pid = fleet.instances[0].pid;
    const loadBefore = loadavg()[0];
    const result = await runConnectBench({
      url: fleet.url,
      organizationKey: organization.key,
      simulator,
      cpuSeconds: () => cpuSeconds(pid) ?? 0,
    });
    printConnectBench(result, out);
    out(`load average ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
  } finally {
    await fleet.stop();
    await simulator.stop();
    await dropTestDatabase(databaseUrl);
  }
}

runWhenMain(module, main);

import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';

import { Client } from 'pg';

import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import { benchScale } from 'test/bench/bench-scale';
import { createOrganization, serviceEnv } from 'test/bench/bench-service';
import { printConnectBench, runConnectBench } from 'test/bench/connect.bench';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
import { runWhenMain } from 'test/bench/standalone';
import { createTestApp, TEST_APP_ID, TEST_APP_SECRET, TEST_SYSTEM_USER_TOKEN } from 'test/utils/create-test-app';
import { createTestDatabase, dropTestDatabase } from 'test/utils/test-database';

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
  const seen: string[] = [];
  const prototype = Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = prototype.query;
  prototype.query = function counted(this: unknown, ...args: unknown[]): unknown {
    const [first] = args;
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    seen.push(typeof text === 'string' ? text : '(unknown)');
    return original.apply(this, args);
  };
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
      seen.length = 0;
      await connect();
      total += seen.length;
      control += seen.filter(isTransactionControl).length;
      last = [...seen];
    }
    const counts = new Map<string, number>();
    for (const sql of last) {
      const key = sql.replace(/\s+/g, ' ').trim();
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return {
      perConnect: total / connects,
      transactionControlPerConnect: control / connects,
      lastConnect: [...counts].map(([sql, count]) => ({ sql, count })),
    };
  } finally {
    prototype.query = original;
    await sut.close();
  }
}

function isTransactionControl(sql: string): boolean {
  return /^\s*(begin|commit|rollback|savepoint|release savepoint)\b/i.test(sql);
}

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
  const simulator = new MetaSimulator({
    appId: TEST_APP_ID,
    appSecret: TEST_APP_SECRET,
    systemUserToken: TEST_SYSTEM_USER_TOKEN,
    latencyMs: 0,
  });
  const simulatorUrl = await simulator.start(0);
  const databaseUrl = await createTestDatabase();
  const encryptionKey = randomBytes(32).toString('base64');
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

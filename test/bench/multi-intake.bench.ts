import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale } from 'test/bench/bench-scale';
import { seedScale } from 'test/bench/bench-seed';
import { serviceEnv, startBenchBackends } from 'test/bench/bench-service';
import { cpuSeconds, ensureBuild, Fleet } from 'test/bench/fleet';
import { webhookLoad } from 'test/bench/load-runner';
import { machineBusyMs, postgresCpuMs, postmasterPid } from 'test/bench/machine-cpu';
import { runWhenMain } from 'test/bench/standalone';
import { buildDeliveries, waitUntilDisabled } from 'test/bench/webhook-ingestion.bench';
import { dropTestDatabase } from 'test/utils/test-database';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** Seeded WABAs one trial's `deliveries` take (warm-up and burst): every 25th is skipped (seeded DISABLED). */
const seqsPerTrial = (deliveries: number): number => Math.ceil(deliveries * 1.05) + 10;

/** CPU of one trial, in ms, split by whose it was; `burst` while the deliveries were posted, `drain` after. */
interface CpuSplit {
  machine: number;
  service: number;
  postgres: number;
  bench: number;
}

/** What one burst on one fleet of one side did. */
interface Trial {
  side: string;
  instances: number;
  deliveries: number;
  accepted: number;
  rejected: number;
  perSecond: number;
  burst: CpuSplit;
  drain: CpuSplit;
  drainMs: number;
  claims: number;
  claimedRows: number;
  inserts: number;
  statements: number;
}

interface Side {
  name: string;
  FleetOf: typeof Fleet;
}

/**
 * Where the CPU per webhook delivery goes as service instances are added: for fleets of 1, 2 and 4 instances
 * (`BENCH_INSTANCES`, default `1,2,4`), each started afresh from `dist/` on one seeded database, an unmeasured
 * warm-up burst of a quarter, then `BENCH_DELIVERIES` (default 2,000) signed `account_update` deliveries over
 * `BENCH_CONCURRENCY` (default 32) connections spread over the instances, as `npm run bench`'s multi-instance
 * phase (b) posts them. Per trial it prints deliveries/s accepted and, per accepted delivery, the CPU of the
 * whole machine, of the service processes, of PostgreSQL (the postmaster's whole process tree: backends, WAL
 * writer, checkpointer) and of this process (the load generator), during the burst and until every change
 * is visible; with the inbox claims (count, rows each) and the group-commit INSERTs the instances made.
 *
 * With `MULTI_BASE=<another checkout, dist/ built>`, every trial runs on both sides, paired and interleaved
 * (base, this; this, base; …) `BENCH_PAIRS` times (default 6), and medians and the pairs the new side won are
 * printed. `BENCH_PAUSE_INBOX=1` pauses the inbox workers during the burst: intake alone, processing after.
 *
 * `MULTI_BASE=/path/to/base npx ts-node --transpile-only -r tsconfig-paths/register test/bench/multi-intake.bench.ts`
 */
async function main(): Promise<void> {
  const counts = (process.env.BENCH_INSTANCES ?? '1,2,4').split(',').map(Number);
  const deliveries = Number(process.env.BENCH_DELIVERIES ?? 2_000);
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
  const pairs = Number(process.env.BENCH_PAIRS ?? 6);
  const pauseInbox = process.env.BENCH_PAUSE_INBOX === '1';
  const warmUp = Number(process.env.BENCH_WARMUP ?? Math.ceil(deliveries / 4));
  const baseDir = process.env.MULTI_BASE;
  await ensureBuild((line) => out(`build: ${line}`));
  const sides: Side[] = [{ name: 'this', FleetOf: Fleet }];
  if (baseDir) {
    // The other checkout's fleet module: the same harness, but its instances run that checkout's dist/.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Fleet: BaseFleet } = require(resolve(baseDir, 'test/bench/fleet')) as { Fleet: typeof Fleet };
    sides.unshift({ name: 'base', FleetOf: BaseFleet });
  }
  const trialsTotal = pairs * counts.length * sides.length;
  const scale = {
    ...benchScale(true),
    organizations: 100,
    wabas: trialsTotal * seqsPerTrial(deliveries + warmUp) + 100,
    benchOrganizationWabas: 100,
  };
  const { simulator, simulatorUrl, databaseUrl, encryptionKey } = await startBenchBackends();
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const trials: Trial[] = [];
  try {
    const secrets = new SecretBox(encryptionKey);
    const organizationId = (
      await pool.query<{ id: string }>(
        "INSERT INTO organizations (id, name, created_at) VALUES (gen_random_uuid(), 'Multi intake', now()) RETURNING id",
      )
    ).rows[0].id;
    const token = randomBytes(16).toString('hex');
    const seed = await seedScale(pool, scale, organizationId, secrets.seal(token), token, secrets.seal('000000'));
    out(`seeded ${seed.wabas} WABAs in ${seed.seconds.toFixed(1)} s; ${trialsTotal} trials`);
    const postmaster = await postmasterPid(pool);
    let seq = 0;
    for (let pair = 0; pair < pairs; pair += 1) {
      for (const count of counts) {
        const order = (pair + counts.indexOf(count)) % 2 === 0 ? sides : [...sides].reverse();
        for (const side of order) {
          const env = serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale);
          const trial = await runTrial(
            side,
            count,
            env,
            { pool, postmaster, deliveries, warmUp, concurrency, pauseInbox },
            {
              build: (size) => {
                const built = buildDeliveries(simulator, size, seq);
                seq = built.nextSeq;
                return built.deliveries;
              },
            },
          );
          trials.push(trial);
          out(describeTrial(pair + 1, trial));
        }
      }
    }
    out();
    summarize(trials, counts, sides, out);
  } finally {
    await pool.end();
    await simulator.stop();
    await dropTestDatabase(databaseUrl).catch(() => undefined);
  }
}

async function runTrial(
  side: Side,
  count: number,
  env: Record<string, string>,
  context: {
    pool: Pool;
    postmaster: number;
    deliveries: number;
    warmUp: number;
    concurrency: number;
    pauseInbox: boolean;
  },
  source: { build: (size: number) => Array<{ wabaId: string; body: string; signature: string }> },
): Promise<Trial> {
  const { pool, postmaster, deliveries, concurrency } = context;
  const fleet = await side.FleetOf.start(count, env);
  try {
    // Counting starts (the hooks are installed) before the warm-up, so that they cost the same in both bursts.
    await fleet.inboxClaims();
    await fleet.pgStatements();
    const warmUp = source.build(context.warmUp);
    await webhookLoad(fleet.urls, warmUp, concurrency);
    await waitUntilDisabled(
      pool,
      warmUp.map((delivery) => delivery.wabaId),
    );
    const burst = source.build(deliveries);
    // Let the warm-up's last claims and the pollers settle.
    await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
    if (context.pauseInbox) {
      await fleet.pauseInbox(true);
    }
    const claimsBefore = await fleet.inboxClaims();
    await fleet.pgStatements();
    const pids = fleet.instances.map((instance) => instance.pid);
    const atStart = cpuNow(pids, postmaster);
    const intake = await webhookLoad(fleet.urls, burst, concurrency);
    const afterBurst = cpuNow(pids, postmaster);
    const drainStartedAt = performance.now();
    if (context.pauseInbox) {
      await fleet.pauseInbox(false);
    }
    await waitUntilDisabled(
      pool,
      burst.map((delivery) => delivery.wabaId),
    );
    const drainMs = performance.now() - drainStartedAt;
    const afterDrain = cpuNow(pids, postmaster);
    const claimsAfter = await fleet.inboxClaims();
    const statements = await fleet.pgStatements();
    const inserts = [...statements.counts].reduce(
      (sum, [text, n]) => (text.startsWith('INSERT INTO webhook_inbox') ? sum + n : sum),
      0,
    );
    return {
      side: side.name,
      instances: count,
      deliveries,
      accepted: intake.accepted,
      rejected: intake.rejected,
      perSecond: intake.acceptedPerSecond,
      burst: minus(afterBurst, atStart),
      drain: minus(afterDrain, afterBurst),
      drainMs,
      claims: claimsAfter.claims - claimsBefore.claims,
      claimedRows: claimsAfter.rows - claimsBefore.rows,
      inserts,
      statements: [...statements.counts.values()].reduce((sum, n) => sum + n, 0),
    };
  } finally {
    await fleet.stop();
  }
}

function cpuNow(servicePids: number[], postmaster: number): CpuSplit {
  const bench = process.cpuUsage();
  return {
    machine: machineBusyMs() ?? 0,
    service: servicePids.reduce((sum, pid) => sum + (cpuSeconds(pid) ?? 0) * 1000, 0),
    postgres: postgresCpuMs(postmaster),
    bench: (bench.user + bench.system) / 1000,
  };
}

function minus(after: CpuSplit, before: CpuSplit): CpuSplit {
  return {
    machine: after.machine - before.machine,
    service: after.service - before.service,
    postgres: after.postgres - before.postgres,
    bench: after.bench - before.bench,
  };
}

const perDelivery = (split: CpuSplit, key: keyof CpuSplit, accepted: number): number =>
  split[key] / Math.max(1, accepted);

function describeTrial(pair: number, trial: Trial): string {
  const b = (key: keyof CpuSplit): string => perDelivery(trial.burst, key, trial.accepted).toFixed(2);
  const all = (key: keyof CpuSplit): string =>
    ((trial.burst[key] + trial.drain[key]) / Math.max(1, trial.accepted)).toFixed(2);
  return (
    `pair ${pair} ${trial.side} ${trial.instances}×: ${Math.round(trial.perSecond)}/s (${trial.rejected} rejected); ` +
    `burst ms/delivery machine ${b('machine')} service ${b('service')} pg ${b('postgres')} bench ${b('bench')}; ` +
    `until visible (+${Math.round(trial.drainMs)} ms) machine ${all('machine')} service ${all('service')} ` +
    `pg ${all('postgres')}; ${trial.claims} claims of ${(trial.claimedRows / Math.max(1, trial.claims)).toFixed(1)} rows, ` +
    `${trial.inserts} INSERTs of ${(trial.accepted / Math.max(1, trial.inserts)).toFixed(1)}, ${trial.statements} statements`
  );
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Medians per side and fleet size; with two sides, in how many pairs the new side did better. */
function summarize(trials: Trial[], counts: number[], sides: Side[], print: (line?: string) => void): void {
  // Each figure, and whether more of it is better.
  const figures: Array<[string, (trial: Trial) => number, boolean]> = [
    ['deliveries/s', (trial) => trial.perSecond, true],
    ['burst machine ms/delivery', (trial) => perDelivery(trial.burst, 'machine', trial.accepted), false],
    ['burst service ms/delivery', (trial) => perDelivery(trial.burst, 'service', trial.accepted), false],
    ['burst postgres ms/delivery', (trial) => perDelivery(trial.burst, 'postgres', trial.accepted), false],
    ['burst bench ms/delivery', (trial) => perDelivery(trial.burst, 'bench', trial.accepted), false],
    ['total machine ms/delivery', (trial) => (trial.burst.machine + trial.drain.machine) / trial.accepted, false],
    ['total service ms/delivery', (trial) => (trial.burst.service + trial.drain.service) / trial.accepted, false],
    ['total postgres ms/delivery', (trial) => (trial.burst.postgres + trial.drain.postgres) / trial.accepted, false],
    ['drain ms', (trial) => trial.drainMs, false],
    ['claims', (trial) => trial.claims, false],
    ['rows per claim', (trial) => trial.claimedRows / Math.max(1, trial.claims), true],
    ['deliveries per INSERT', (trial) => trial.accepted / Math.max(1, trial.inserts), true],
  ];
  for (const count of counts) {
    print(`${count} instance(s), medians${sides.length > 1 ? ' (base → this; pairs where this did better)' : ''}:`);
    for (const [label, value, higherIsBetter] of figures) {
      const bySide = sides.map((side) =>
        trials.filter((trial) => trial.side === side.name && trial.instances === count).map(value),
      );
      const medians = bySide.map((values) => median(values).toFixed(2));
      let wins = '';
      if (bySide.length === 2) {
        const better = bySide[0].filter((base, index) =>
          higherIsBetter ? bySide[1][index] > base : bySide[1][index] < base,
        ).length;
        wins = ` (${better}/${bySide[0].length})`;
      }
      print(`  ${label}: ${medians.join(' → ')}${wins}`);
    }
  }
}

runWhenMain(module, main);

import { loadavg } from 'node:os';

import { Pool } from 'pg';

import { SecretBox } from 'src/common/security/secret-box';
import { benchScale, benchWabaId } from 'test/bench/bench-scale';
import { mirrorInSimulator, seedScale } from 'test/bench/bench-seed';
import { createOrganization, measureRound, serviceEnv, startBenchBackends } from 'test/bench/bench-service';
import { ensureBuild, Fleet, startScriptNodeFlags } from 'test/bench/fleet';
import { summarizeHeapSnapshot } from 'test/bench/heap-snapshot';
import { httpLoad, type LoadResult } from 'test/bench/load-runner';
import { runWhenMain } from 'test/bench/standalone';
import { dropTestDatabase } from 'test/utils/test-database';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const fmt = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Constructors whose live objects the heap snapshots count (an EntityManager of an ended request must not stay). */
const RETAINED_NAMES = [
  'SqlEntityManager',
  'IdentityMap',
  'UnitOfWork',
  'RequestContext',
  'TransactionContext',
  'Waba',
  'PhoneNumber',
  'Resource',
  'PendingOperation',
];

/** What V8's own trace (`--trace-gc`) said during one phase. */
interface GcTrace {
  scavenges: number;
  markCompacts: number;
  /** Sum of the pauses the trace printed, in ms. */
  pauseMs: number;
  /** The largest heap size right after a mark-compact: an upper bound of the live heap, in MB. */
  maxAfterMarkCompactMb: number;
}

/**
 * Paired measurement of the Node flags the service starts with (issue 13, Memory): on one database seeded at
 * the bench's scale (`--quick` for the CI size), one fresh instance per variant of flags runs the phases that
 * use the most memory and the list/detail load, and the figures are printed per variant: peak RSS per phase,
 * service CPU per request (from /proc, stable under load) and throughput. The variants are V8's default
 * sizing (no flag) and `npm start`'s flags, or each `--variant=<flags>` given. `--trace-gc` adds V8's GC
 * trace (counts, pauses, the largest heap after a mark-compact, i.e. a bound of the live heap).
 *
 * `ts-node --transpile-only -r tsconfig-paths/register test/bench/heap-bounds.bench.ts [--quick]`
 */
async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const traceGc = process.argv.includes('--trace-gc');
  const phases = process.argv
    .find((arg) => arg.startsWith('--phases='))
    ?.slice('--phases='.length)
    .split(',') ?? ['probe', 'list', 'detail', 'rounds'];
  const snapshotDir = process.argv
    .find((arg) => arg.startsWith('--heap-snapshots='))
    ?.slice('--heap-snapshots='.length);
  const given = process.argv
    .filter((arg) => arg.startsWith('--variant='))
    .map((arg) => arg.slice('--variant='.length).split(/\s+/).filter(Boolean));
  const variants = given.length > 0 ? given : [[], startScriptNodeFlags()];
  const scale = benchScale(quick);
  process.env.LOG_LEVEL = 'silent';
  await ensureBuild((line) => out(`build: ${line}`));
  const { simulator, simulatorUrl, databaseUrl, encryptionKey } = await startBenchBackends();
  const pool = new Pool({ connectionString: databaseUrl, max: 4 });
  const env = serviceEnv(databaseUrl, simulatorUrl, encryptionKey, scale);
  try {
    const seeder = await Fleet.start(1, env, []);
    const organization = await createOrganization(seeder.url, 'Heap bounds');
    await seeder.stop();
    const roundWabaIds = mirrorInSimulator(simulator, scale, scale.roundWabas);
    const token = simulator.issueToken({ wabaIds: roundWabaIds });
    const secrets = new SecretBox(encryptionKey);
    await seedScale(pool, scale, organization.id, secrets.seal(token), token, secrets.seal('000000'));
    out(`# Heap bounds (${quick ? 'quick' : 'full'} scale: ${fmt(scale.wabas)} WABAs, ${fmt(scale.roundWabas)} due)`);
    out(
      `load average at start ${loadavg()
        .map((load) => fmt(load, 2))
        .join(' ')}`,
    );
    const auth = { Authorization: `Bearer ${organization.key}` };
    const seconds = Number(process.argv.find((arg) => arg.startsWith('--seconds='))?.slice('--seconds='.length));
    const load = { connections: scale.connections, seconds: seconds > 0 ? seconds : scale.loadSeconds };
    for (const flags of variants) {
      const nodeFlags = traceGc ? [...flags, '--trace-gc'] : flags;
      const fleet = await Fleet.start(1, env, nodeFlags);
      const traces = new Map<string, GcTrace>();
      let phase = 'boot';
      const trace = (): GcTrace => {
        const existing = traces.get(phase);
        if (existing) {
          return existing;
        }
        const fresh = { scavenges: 0, markCompacts: 0, pauseMs: 0, maxAfterMarkCompactMb: 0 };
        traces.set(phase, fresh);
        return fresh;
      };
      let pending = '';
      fleet.instances[0].child.stdout?.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          const match =
            /: (Scavenge|Mark-Compact)[^\d]* ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB, (?:pooled: [\d.]+ MB, )?([\d.]+) \//.exec(
              line,
            );
          if (match) {
            const figures = trace();
            figures.pauseMs += Number(match[6]);
            if (match[1] === 'Scavenge') {
              figures.scavenges += 1;
            } else {
              figures.markCompacts += 1;
              figures.maxAfterMarkCompactMb = Math.max(figures.maxAfterMarkCompactMb, Number(match[4]));
            }
          }
        }
      });
      const runs: LoadResult[] = [];
      const measure = async (key: string, label: string, work: () => Promise<LoadResult | void>): Promise<void> => {
        if (!phases.includes(key)) {
          return;
        }
        phase = label;
        fleet.phase(label);
        const result = await work();
        if (result) {
          runs.push(result);
        }
        if (snapshotDir) {
          // Its own phase: writing the snapshot is no part of the measured one.
          phase = `heap snapshot after ${label}`;
          fleet.phase(phase);
          for (const path of await fleet.heapSnapshots(snapshotDir)) {
            const summary = summarizeHeapSnapshot(path, RETAINED_NAMES);
            out(`heap after ${label} (${path}): ${JSON.stringify(summary.counts)}`);
            for (const [name, chain] of Object.entries(summary.retainers)) {
              out(`  a ${name} is retained by:\n    ${chain.join('\n    ')}`);
            }
          }
        }
      };
      try {
        await measure('probe', 'GET /health/live?route', () =>
          httpLoad('GET /health/live?route', `${fleet.url}/health/live?route`, load),
        );
        await measure('list', 'GET /api/v1/wabas', () =>
          httpLoad('GET /api/v1/wabas', `${fleet.url}/api/v1/wabas`, { ...load, headers: auth }),
        );
        await measure('detail', 'GET /api/v1/wabas/{id}', () =>
          httpLoad('GET /api/v1/wabas/{id}', `${fleet.url}/api/v1/wabas/${benchWabaId(7)}`, { ...load, headers: auth }),
        );
        await measure('rounds', 'sync round, Meta at 100 ms', async () => {
          await measureRound(fleet, pool, simulator, scale, roundWabaIds);
        });
        await measure('rounds', 'sync round, Meta at 0 ms', async () => {
          await measureRound(fleet, pool, simulator, { ...scale, roundLatencyMs: 0 }, roundWabaIds);
        });
      } finally {
        await fleet.stop();
      }
      out();
      out(`## node ${flags.join(' ') || '(V8 default heap sizing)'}`);
      for (const peak of fleet.peaks) {
        const run = runs.find((candidate) => candidate.label === peak.phase);
        const gc = traces.get(peak.phase);
        out(
          `${peak.phase}: peak RSS ${fmt(peak.maxInstanceMiB)} MiB (${fmt(peak.maxInstanceMiB * 1.048576)} MB); ` +
            `service CPU ${fmt(peak.cpuSeconds, 2)} s` +
            (run
              ? `, ${fmt((peak.cpuSeconds * 1000) / Math.max(1, run.total), 3)} ms/request; ${fmt(run.requestsPerSecond)} ` +
                `req/s, p99 ${fmt(run.p99Ms)} ms, ${run.failures} failed`
              : '') +
            (peak.atEnd
              ? `; at its end heap ${fmt(peak.atEnd.heapUsedMiB)} used of ${fmt(peak.atEnd.heapTotalMiB)} MiB, ` +
                `new space ${fmt(peak.atEnd.newSpaceMiB)} MiB`
              : '') +
            (gc
              ? `; GC: ${gc.scavenges} scavenges, ${gc.markCompacts} mark-compacts, ${fmt(gc.pauseMs)} ms paused, ` +
                `largest heap after a mark-compact ${fmt(gc.maxAfterMarkCompactMb, 1)} MB`
              : ''),
        );
      }
    }
    out();
    out(
      `load average at the end ${loadavg()
        .map((load) => fmt(load, 2))
        .join(' ')}`,
    );
  } finally {
    await pool.end();
    await simulator.stop();
    await dropTestDatabase(databaseUrl).catch(() => undefined);
  }
}

runWhenMain(module, main);

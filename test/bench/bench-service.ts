import { randomBytes } from 'node:crypto';

import type { Pool } from 'pg';

import { MetaSimulator } from 'src/meta-simulator/meta-simulator';
import type { BenchScale } from 'test/bench/bench-scale';
import { makeDue } from 'test/bench/bench-seed';
import type { Fleet } from 'test/bench/fleet';
import { machineBusyMs } from 'test/bench/machine-cpu';
import {
  TEST_ADMIN_TOKEN,
  TEST_APP_ID,
  TEST_APP_SECRET,
  TEST_SYSTEM_USER_TOKEN,
  TEST_VERIFY_TOKEN,
} from 'test/utils/create-test-app';
import { createTestDatabase } from 'test/utils/test-database';

/** The round measured on the seeded database. */
export interface RoundFigures {
  wabas: number;
  succeeded: number;
  failed: number;
  skipped: number;
  wallMs: number;
  graphCalls: number;
  /** The most times any one WABA was read (multi-ID calls count once per ID): 1 when none was read twice. */
  maxReadsPerWaba: number;
  latencyMs: number;
  concurrency: number;
  instances: number;
  /** Busy CPU of the whole machine during the round (every process), in ms; null where it cannot be read. */
  machineCpuMs: number | null;
}

/**
 * The environment of every service instance of the bench: the seeded database, the in-process Meta
 * simulator reached over HTTP, one encryption key (the seed seals tokens with it), the test credentials.
 */
export function serviceEnv(
  databaseUrl: string,
  simulatorUrl: string,
  encryptionKey: string,
  scale: BenchScale,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    ADMIN_API_TOKEN: TEST_ADMIN_TOKEN,
    TOKEN_ENCRYPTION_KEY: encryptionKey,
    META_APP_ID: TEST_APP_ID,
    META_APP_SECRET: TEST_APP_SECRET,
    META_WEBHOOK_VERIFY_TOKEN: TEST_VERIFY_TOKEN,
    META_GRAPH_BASE_URL: simulatorUrl,
    META_SYSTEM_USER_TOKEN: TEST_SYSTEM_USER_TOKEN,
    META_SANDBOX: 'false',
    META_REQUEST_TIMEOUT_MS: '10000',
    SYNC_CONCURRENCY: String(scale.roundConcurrency),
    // The load phases would otherwise hit the public API's own rate limit.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    AUTH_FAILURES_PER_MINUTE: '100000',
    ...extra,
  };
}

/** The bench's Meta simulator: the test app's credentials, answering at once, started on a free port. */
export async function startBenchSimulator(): Promise<{ simulator: MetaSimulator; url: string }> {
  const simulator = new MetaSimulator({
    appId: TEST_APP_ID,
    appSecret: TEST_APP_SECRET,
    systemUserToken: TEST_SYSTEM_USER_TOKEN,
    latencyMs: 0,
  });
  return { simulator, url: await simulator.start(0) };
}

/**
 * What a bench that starts instances needs besides them: the simulator ({@link startBenchSimulator}), a fresh
 * migrated database, and an encryption key for the instances' secrets.
 */
export async function startBenchBackends(): Promise<{
  simulator: MetaSimulator;
  simulatorUrl: string;
  databaseUrl: string;
  encryptionKey: string;
}> {
  const { simulator, url } = await startBenchSimulator();
  return {
    simulator,
    simulatorUrl: url,
    databaseUrl: await createTestDatabase(),
    encryptionKey: randomBytes(32).toString('base64'),
  };
}

/** Creates an organization through an instance's admin API; returns its id and bearer key. */
export async function createOrganization(serviceUrl: string, name: string): Promise<{ id: string; key: string }> {
  const response = await fetch(`${serviceUrl}/api/v1/organizations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201) {
    throw new Error(`Creating an organization answered ${response.status}: ${await response.text()}`);
  }
  const body = (await response.json()) as { id: string; apiKey: { key: string } };
  return { id: body.id, key: body.apiKey.key };
}

/**
 * One periodic round of `wabaIds` (made due) on every instance of `fleet` at once, Meta answering after
 * `scale.roundLatencyMs`: wall time until every instance's round has ended, and the Graph calls the
 * simulator saw.
 */
export async function measureRound(
  fleet: Fleet,
  pool: Pool,
  simulator: MetaSimulator,
  scale: BenchScale,
  wabaIds: string[],
): Promise<RoundFigures> {
  await makeDue(pool, wabaIds);
  simulator.setLatency(scale.roundLatencyMs);
  simulator.clearRequests();
  const machineBefore = machineBusyMs();
  const startedAt = performance.now();
  // The periodic round (the scheduler's tick, run in each instance through its IPC hook), which takes the
  // due WABAs only: the admin endpoint's full round would also read the 40,000 that are not due (and that
  // the simulator does not hold).
  const results = await fleet.syncRound();
  const wallMs = performance.now() - startedAt;
  const machineAfter = machineBusyMs();
  simulator.setLatency(0);
  const reads = new Map<string, number>();
  for (const request of simulator.requests) {
    for (const id of request.ids ?? [request.path.split('/')[1]]) {
      reads.set(id, (reads.get(id) ?? 0) + 1);
    }
  }
  const sum = (key: 'wabas' | 'succeeded' | 'failed' | 'skipped'): number =>
    results.reduce((total, result) => total + result[key], 0);
  return {
    wabas: sum('wabas'),
    succeeded: sum('succeeded'),
    failed: sum('failed'),
    skipped: sum('skipped'),
    wallMs,
    graphCalls: simulator.requests.length,
    maxReadsPerWaba: Math.max(0, ...wabaIds.map((id) => reads.get(id) ?? 0)),
    latencyMs: scale.roundLatencyMs,
    concurrency: scale.roundConcurrency,
    instances: fleet.instances.length,
    machineCpuMs: machineBefore === null || machineAfter === null ? null : machineAfter - machineBefore,
  };
}

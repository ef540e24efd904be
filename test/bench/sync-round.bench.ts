import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, TEST_SYSTEM_USER_TOKEN } from 'test/utils/create-test-app';
import { runWhenMain } from 'test/bench/standalone';

/** Options of {@link runSyncRoundBench}. */
export interface SyncRoundBenchOptions {
  /** Connected WABAs to re-sync (one number each). Default 1,000. */
  wabas?: number;
  /** Latency of every simulated Graph call, in milliseconds. Default 100. */
  latencyMs?: number;
  /** Configure META_SYSTEM_USER_TOKEN (multi-ID reads of every WABA). Default true. */
  systemUserToken?: boolean;
  /** SYNC_CONCURRENCY. Default 8 (the service's default). */
  concurrency?: number;
}

/** What one measured round did. */
export interface SyncRoundBenchResult {
  wabas: number;
  succeeded: number;
  failed: number;
  skipped: number;
  /** Graph calls of the round, as the simulator logged them. */
  graphCalls: number;
  graphCallsPerWaba: number;
  /** Wall-clock time of `POST /api/v1/admin/sync-rounds`, in milliseconds. */
  roundMs: number;
  /** CPU time of this process (service, simulator and harness) during the round, in milliseconds. */
  cpuMs: number;
  latencyMs: number;
  systemUserToken: boolean;
  concurrency: number;
}

/**
 * Measures one full re-sync round: boots the real app on its own database with the real gateway talking
 * HTTP to a simulator that answers every call after `latencyMs`, seeds `wabas` connected WABAs (each of
 * its own business and business token, the worst case for batching without a system-user token), and
 * times `POST /api/v1/admin/sync-rounds`. Needs the migrated test template database (the jest global
 * setup, or `setUpTestDatabase()` when run on its own).
 */
export async function runSyncRoundBench(options: SyncRoundBenchOptions = {}): Promise<SyncRoundBenchResult> {
  const wabas = options.wabas ?? 1000;
  const latencyMs = options.latencyMs ?? 100;
  const systemUserToken = options.systemUserToken ?? true;
  const concurrency = options.concurrency ?? 8;
  const sut = await createTestApp({
    env: {
      META_SYSTEM_USER_TOKEN: systemUserToken ? TEST_SYSTEM_USER_TOKEN : '',
      SYNC_CONCURRENCY: String(concurrency),
    },
  });
  try {
    const organization = await sut.createOrganization('Bench');
    await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: organization.id,
      businesses: wabas,
      wabasPerBusiness: 1,
      tokens: 'per-waba',
    });
    sut.simulator.setLatency(latencyMs);
    sut.simulator.clearRequests();

    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const response = await sut
      .http()
      .post('/api/v1/admin/sync-rounds')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .timeout(30 * 60_000);
    const roundMs = Math.round(performance.now() - startedAt);
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = Math.round((cpu.user + cpu.system) / 1000);
    if (response.status !== 200) {
      throw new Error(`The round answered ${response.status}`);
    }
    const body = response.body as { wabas: number; succeeded: number; failed: number; skipped: number };
    const graphCalls = sut.simulator.requests.length;
    return {
      wabas: body.wabas,
      succeeded: body.succeeded,
      failed: body.failed,
      skipped: body.skipped,
      graphCalls,
      graphCallsPerWaba: Number((graphCalls / Math.max(1, body.wabas)).toFixed(3)),
      roundMs,
      cpuMs,
      latencyMs,
      systemUserToken,
      concurrency,
    };
  } finally {
    await sut.close();
  }
}

async function main(): Promise<void> {
  const wabas = Number(process.env.BENCH_WABAS ?? 1000);
  const latencies = (process.env.BENCH_LATENCY_MS ?? '100').split(',').map(Number);
  const tokens = process.env.BENCH_TOKENS === 'system' ? [true] : [true, false];
  for (const [systemUserToken, latencyMs] of tokens.flatMap((token) => latencies.map((ms) => [token, ms] as const))) {
    const result = await runSyncRoundBench({ wabas, systemUserToken, latencyMs });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

runWhenMain(module, main);

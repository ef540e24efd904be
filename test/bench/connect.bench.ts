import type { SignupSession } from 'src/meta-simulator/meta-simulator.types';
import { percentile } from 'test/bench/load-runner';
import { machineBusyMs, machineCores } from 'test/bench/machine-cpu';
import { createTestApp } from 'test/utils/create-test-app';
import { runWhenMain } from 'test/bench/standalone';

/** The service a connect bench drives: its URL, an organization's key, the simulator that mints codes. */
export interface ConnectTarget {
  url: string;
  organizationKey: string;
  simulator: { createSignupSession(input: { wabaName?: string }): SignupSession };
  /** CPU seconds the service's process(es) used so far (the bench takes differences). */
  cpuSeconds(): number;
}

/** Options of {@link runConnectBench}. */
export interface ConnectBenchOptions {
  /** Connects in flight at once in the concurrent phase. Default 8 (the figure). */
  concurrency?: number;
  /** Connects made one at a time to measure one connect's latency. Default 30. */
  sequential?: number;
  /** Connects made in the concurrent phase. Default 240. */
  concurrent?: number;
  /** Connects made (and not counted) before measuring, so the paths are warm. Default 10. */
  warmup?: number;
}

/** What {@link runConnectBench} measured. */
export interface ConnectBenchResult {
  concurrency: number;
  /** One connect at a time: the median and p99 latency of `POST /api/v1/phone-numbers`, in ms. */
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** The ideal throughput at `concurrency` in flight: concurrency ÷ one connect's median latency, per second. */
  idealPerSecond: number;
  /** Connects completed per second with `concurrency` in flight. */
  connectsPerSecond: number;
  /** Latency of a connect with `concurrency` in flight, in ms. */
  concurrentP50Ms: number;
  concurrentP99Ms: number;
  /**
   * CPU time of the service's process(es) per connect in the concurrent phase, in ms: the figure to compare
   * on a busy machine.
   */
  cpuMsPerConnect: number;
  /**
   * CPU time of the whole machine (every process: service, PostgreSQL, the simulator and this bench) per
   * connect in the concurrent phase, in ms, from /proc/stat; null where it cannot be read.
   */
  machineCpuMsPerConnect: number | null;
  /** Cores the machine has: with all of them busy, no more than cores ÷ machine CPU per connect can complete. */
  cores: number;
  /** Connects answered anything but 201. */
  failures: number;
  connects: number;
}

/**
 * Measures connecting numbers through the API (`POST /api/v1/phone-numbers`: Embedded Signup code exchange,
 * debug_token, WABA and number reads, webhook subscription, registration), first one at a time (one
 * connect's latency) and then with `concurrency` in flight, against the ideal of `concurrency` ÷ that
 * latency. Each connect uses a fresh code minted by the simulator's sandbox signup (a new business, WABA
 * and number), in an organization of its own; Meta answers at whatever latency the simulator is set to.
 */
export async function runConnectBench(
  target: ConnectTarget,
  options: ConnectBenchOptions = {},
): Promise<ConnectBenchResult> {
  const concurrency = options.concurrency ?? 8;
  const sequential = options.sequential ?? 30;
  const concurrent = options.concurrent ?? 240;
  const warmup = options.warmup ?? 10;
  let minted = 0;
  let failures = 0;
  const connect = async (): Promise<number> => {
    // A code lives 30 s at Meta, so each is minted right before its connect (outside the timed span).
    minted += 1;
    const session: SignupSession = target.simulator.createSignupSession({ wabaName: `Connect bench ${minted}` });
    const startedAt = performance.now();
    const response = await fetch(`${target.url}/api/v1/phone-numbers`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${target.organizationKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ code: session.code, wabaId: session.wabaId, phoneNumberId: session.phoneNumberId }),
    });
    await response.arrayBuffer();
    if (response.status !== 201) {
      failures += 1;
    }
    return performance.now() - startedAt;
  };

  for (let index = 0; index < warmup; index += 1) {
    await connect();
  }
  failures = 0;
  const alone: number[] = [];
  for (let index = 0; index < sequential; index += 1) {
    alone.push(await connect());
  }

  const together: number[] = [];
  let left = concurrent;
  const cpuBefore = target.cpuSeconds();
  const machineBefore = machineBusyMs();
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left > 0) {
        left -= 1;
        together.push(await connect());
      }
    }),
  );
  const elapsedMs = performance.now() - startedAt;
  const cpuMs = (target.cpuSeconds() - cpuBefore) * 1000;
  const machineAfter = machineBusyMs();
  const machineMs = machineBefore === null || machineAfter === null ? null : machineAfter - machineBefore;

  const latencyP50Ms = percentile(alone, 50);
  return {
    concurrency,
    latencyP50Ms,
    latencyP99Ms: percentile(alone, 99),
    idealPerSecond: concurrency / (latencyP50Ms / 1000),
    connectsPerSecond: together.length / (elapsedMs / 1000),
    concurrentP50Ms: percentile(together, 50),
    concurrentP99Ms: percentile(together, 99),
    cpuMsPerConnect: cpuMs / Math.max(1, together.length),
    machineCpuMsPerConnect: machineMs === null ? null : machineMs / Math.max(1, together.length),
    cores: machineCores(),
    failures,
    connects: alone.length + together.length,
  };
}

/** The bench's lines, as `npm run bench` prints them. */
export function printConnectBench(result: ConnectBenchResult, out: (line?: string) => void): void {
  const fmt = (value: number, digits = 0): string =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  out();
  out(`## Connect through the API (POST /api/v1/phone-numbers, Meta at 0 ms, ${result.concurrency} in flight)`);
  out(
    `one at a time: p50 ${fmt(result.latencyP50Ms, 1)} ms, p99 ${fmt(result.latencyP99Ms, 1)} ms → ideal ` +
      `${result.concurrency} ÷ p50 = ${fmt(result.idealPerSecond, 1)} connects/s`,
  );
  out(
    `${result.concurrency} in flight: ${fmt(result.connectsPerSecond, 1)} connects/s, p50 ${fmt(result.concurrentP50Ms, 1)} ms, ` +
      `p99 ${fmt(result.concurrentP99Ms, 1)} ms, CPU ${fmt(result.cpuMsPerConnect, 1)} ms per connect ` +
      `(${result.connects} connects, ${result.failures} not 201) → ` +
      `${fmt(result.connectsPerSecond / result.idealPerSecond, 2)}× of ideal (target ≥ 0.5×)`,
  );
  if (result.machineCpuMsPerConnect !== null) {
    // With Meta at 0 ms a lone connect waits on nothing but its own processes' CPU, so its latency is about its
    // CPU: 8 in flight cannot be 8 times as fast on 2 cores. This is the machine's ceiling, measured.
    const bound = result.cores / (result.machineCpuMsPerConnect / 1000);
    out(
      `machine ceiling: ${result.cores} cores ÷ ${fmt(result.machineCpuMsPerConnect, 1)} ms of CPU per connect (all ` +
        `processes) = ${fmt(bound, 1)} connects/s = ${fmt(bound / result.idealPerSecond, 2)}× of ideal; reached ` +
        `${fmt(result.connectsPerSecond / bound, 2)}× of that ceiling`,
    );
  }
}

async function main(): Promise<void> {
  const sut = await createTestApp({ env: { RATE_LIMIT_PER_MINUTE: '1000000000' } });
  try {
    const profile = process.env.CONNECT_PROFILE ? await import('node:inspector/promises') : null;
    const session = profile ? new profile.Session() : null;
    session?.connect();
    await session?.post('Profiler.enable');
    await session?.post('Profiler.start');
    const organization = await sut.createOrganization('Connect bench');
    const result = await runConnectBench({
      url: sut.url,
      organizationKey: organization.key,
      simulator: sut.simulator,
      // Here the service shares this process with the simulator and the harness.
      cpuSeconds: () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      },
    });
    if (session && process.env.CONNECT_PROFILE) {
      const { profile: data } = await session.post('Profiler.stop');
      (await import('node:fs')).writeFileSync(process.env.CONNECT_PROFILE, JSON.stringify(data));
    }
    printConnectBench(result, (line = '') => process.stdout.write(`${line}\n`));
  } finally {
    await sut.close();
  }
}

runWhenMain(module, main);

import { createServer, type OutgoingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { httpLoad, type LoadResult } from 'test/bench/load-runner';

/** `/health/live` of the service next to a bare `node:http` server answering the same bytes. */
export interface FrameworkBenchResult {
  live: LoadResult;
  bare: LoadResult;
  /** Response headers the bare server replays (those Node writes itself excluded). */
  replayedHeaders: string[];
  bodyBytes: number;
}

// Written by Node's HTTP stack on every answer, the bare server's as well as the service's.
const NODE_OWN_HEADERS = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);

/**
 * The framework's cost: the service's `/health/live` (an instance's own process) and, in the bench process,
 * a bare `node:http` server that answers every request with the status, headers and body the service
 * answered, under the same load generator (autocannon in a worker thread) and connections. Each is warmed up first,
 * then they are measured alternately (bare, service, bare, service) and the rates averaged, so that a
 * busy moment of the machine weighs on both.
 */
export async function runFrameworkBench(
  serviceUrl: string,
  options: { connections: number; seconds: number },
): Promise<FrameworkBenchResult> {
  const sample = await fetch(`${serviceUrl}/health/live`);
  const body = Buffer.from(await sample.arrayBuffer());
  const headers: Array<[string, string]> = [];
  sample.headers.forEach((value, name) => {
    if (!NODE_OWN_HEADERS.has(name)) {
      headers.push([name, value]);
    }
  });
  const bare = await startBareServer(sample.status, headers, body);
  try {
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/health/live`;
    const liveUrl = `${serviceUrl}/health/live`;
    const warmUp = { connections: options.connections, seconds: 1 };
    await httpLoad('warm-up', bareUrl, warmUp);
    await httpLoad('warm-up', liveUrl, warmUp);
    const half = { connections: options.connections, seconds: Math.max(1, options.seconds / 2) };
    const bareRuns = [await httpLoad('bare node:http', bareUrl, half)];
    const liveRuns = [await httpLoad('GET /health/live', liveUrl, half)];
    bareRuns.push(await httpLoad('bare node:http', bareUrl, half));
    liveRuns.push(await httpLoad('GET /health/live', liveUrl, half));
    return {
      live: combine(liveRuns),
      bare: combine(bareRuns),
      replayedHeaders: headers.map(([name]) => name),
      bodyBytes: body.length,
    };
  } finally {
    await new Promise<void>((resolve) => bare.close(() => resolve()));
  }
}

function startBareServer(status: number, headers: Array<[string, string]>, body: Buffer): Promise<Server> {
  const head: OutgoingHttpHeaders = Object.fromEntries([...headers, ['content-length', String(body.length)]]);
  const server = createServer((request, response) => {
    response.writeHead(status, head);
    response.end(body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Slices of one phase as one: rates averaged, the worse percentile kept. */
export function combine(runs: LoadResult[]): LoadResult {
  return {
    label: runs[0].label,
    requestsPerSecond: runs.reduce((sum, run) => sum + run.requestsPerSecond, 0) / runs.length,
    p50Ms: Math.max(...runs.map((run) => run.p50Ms)),
    p99Ms: Math.max(...runs.map((run) => run.p99Ms)),
    total: runs.reduce((sum, run) => sum + run.total, 0),
    failures: runs.reduce((sum, run) => sum + run.failures, 0),
  };
}

/** Prints the probe next to the bare server, as a ratio, and what the bare server replays. */
export function printFrameworkBench(result: FrameworkBenchResult, out: (line?: string) => void): void {
  const fmt = (value: number, digits = 0): string =>
    value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const line = (run: LoadResult): string =>
    `${fmt(run.requestsPerSecond)} req/s, p50 ${fmt(run.p50Ms)} ms, p99 ${fmt(run.p99Ms)} ms ` +
    `(${fmt(run.total)} requests, ${run.failures} failed)`;
  out();
  out(
    '## Framework cost (liveness probe of the service process vs a bare node:http server in the bench process, ' +
      'alternated, same load)',
  );
  out(
    `bare node:http, same ${result.bodyBytes}-byte body and ${result.replayedHeaders.length} headers: ${line(result.bare)}`,
  );
  out(`GET /health/live: ${line(result.live)}`);
  out(
    `  → ${fmt(result.live.requestsPerSecond / result.bare.requestsPerSecond, 2)}× the bare server ` +
      '(target ≥ 0.5×; the probe is answered in front of Express, see src/bootstrap/liveness-probe.ts)',
  );
}

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';

import { createTestApp } from 'test/utils/create-test-app';
import { killServiceProcess, startServiceProcess } from 'test/utils/service-process';

/** One phase: `count` hostile requests, `concurrency` at a time, while another organization lists its WABAs. */
interface PhaseFigures {
  phase: string;
  requests: number;
  statuses: Record<string, number>;
  wallMs: number;
  answerMeanMs: number;
  answerMaxMs: number;
  serverCpuMs: number;
  listP50Ms: number;
  listP99Ms: number;
  listCount: number;
}

const BODY_BYTES = 4 * 1024 * 1024;

/**
 * `npx ts-node --transpile-only -r tsconfig-paths/register test/bench/unauthenticated-bodies.bench.ts`:
 * what a 4 MB body costs the service when it comes without a valid API key. The service runs as its own
 * process (src/main.ts), so that its CPU time (/proc/<pid>/stat) is its own and not the load generator's.
 * Each phase sends 100 such bodies (1,000 of the small ones), 10 at a time, to POST /api/v1/phone-numbers,
 * and measures the time to the answer, the service's CPU time, and the latency of another organization's
 * GET /api/v1/wabas polled one request after the other meanwhile, from a worker thread.
 */
async function main(): Promise<void> {
  process.env.TZ = 'UTC';
  process.env.LOG_LEVEL ??= 'silent';
  if (!process.env.TEST_ADMIN_DATABASE_URL) {
    const { setUpTestDatabase } = await import('test/utils/global-setup.impl');
    await setUpTestDatabase();
  }
  const seeder = await createTestApp();
  const victim = await seeder.createOrganization('Victim');
  const holder = await seeder.createOrganization('Holder');
  await seeder.close({ keepDatabase: true, keepSimulator: true });
  const { child, url } = await startServiceProcess(seeder.databaseUrl, { RATE_LIMIT_PER_MINUTE: '1000000000' });
  try {
    const json = Buffer.from(JSON.stringify({ padding: 'x'.repeat(BODY_BYTES - 20) }));
    // Random text does not compress: 4 MB on the wire, and as much for the service to inflate.
    const gzip = gzipSync(JSON.stringify({ padding: randomBytes(BODY_BYTES * 0.74).toString('base64') }));
    // Within the 100 KiB limit: what the service used to read, inflate, scan and parse before the 401.
    const small = Buffer.from(JSON.stringify({ code: 'x'.repeat(90_000), wabaId: '1', phoneNumberId: '2' }));
    const bomb = gzipSync(JSON.stringify({ code: ' '.repeat(20 * 1024 * 1024) }));
    const noKey = {};
    const phases: Array<{ phase: string; count?: number; body?: Buffer; headers: Record<string, string> }> = [
      { phase: 'quiet (list only)', headers: noKey },
      { phase: 'no key, 4 MB JSON', body: json, headers: noKey },
      { phase: 'no key, 4 MB gzip', body: gzip, headers: { 'Content-Encoding': 'gzip' } },
      { phase: 'unknown key, 4 MB JSON', body: json, headers: { Authorization: 'Bearer waak_unknown0123456789' } },
      { phase: 'no key, 90 KB JSON ×1000', count: 1000, body: small, headers: noKey },
      {
        phase: `no key, gzip bomb (${bomb.length} B → 20 MB) ×1000`,
        count: 1000,
        body: bomb,
        headers: { 'Content-Encoding': 'gzip' },
      },
      { phase: 'valid key, 4 MB JSON', body: json, headers: { Authorization: `Bearer ${holder.key}` } },
    ];
    const figures: PhaseFigures[] = [];
    for (const { phase, count, body, headers } of phases) {
      figures.push(await runPhase(url, child.pid as number, victim.key, phase, count ?? 100, body, headers));
    }
    for (const row of figures) {
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    await killServiceProcess(child);
    await seeder.simulator.stop();
  }
}

async function runPhase(
  url: string,
  pid: number,
  victimKey: string,
  phase: string,
  count: number,
  body: Buffer | undefined,
  headers: Record<string, string>,
): Promise<PhaseFigures> {
  const cpuBefore = cpuMs(pid);
  const startedAt = performance.now();
  const statuses: Record<string, number> = {};
  const answers: number[] = [];
  // The victim's list is timed from its own thread, so that writing the hostile bodies (this thread's
  // work) does not count as the service's latency.
  const poller = new Worker(POLLER, { eval: true, workerData: { url: `${url}/api/v1/wabas`, key: victimKey } });
  const polled = new Promise<number[]>((resolve) => poller.once('message', resolve));
  if (body) {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const sentAt = performance.now();
        const status = await post(`${url}/api/v1/phone-numbers`, body, headers);
        answers.push(performance.now() - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 10 }, worker));
  } else {
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  poller.postMessage('stop');
  const listLatencies = (await polled).sort((a, b) => a - b);
  await poller.terminate();
  const wallMs = performance.now() - startedAt;
  const at = (q: number) => listLatencies[Math.min(listLatencies.length - 1, Math.floor(q * listLatencies.length))];
  return {
    phase,
    requests: answers.length,
    statuses,
    wallMs: Math.round(wallMs),
    answerMeanMs: answers.length ? Math.round(answers.reduce((a, b) => a + b, 0) / answers.length) : 0,
    answerMaxMs: answers.length ? Math.round(Math.max(...answers)) : 0,
    serverCpuMs: cpuMs(pid) - cpuBefore,
    listP50Ms: Math.round(at(0.5) * 10) / 10,
    listP99Ms: Math.round(at(0.99) * 10) / 10,
    listCount: listLatencies.length,
  };
}

const POLLER = `
const { parentPort, workerData } = require('node:worker_threads');
let stopped = false;
parentPort.once('message', () => { stopped = true; });
(async () => {
  const latencies = [];
  while (!stopped) {
    const sentAt = performance.now();
    await fetch(workerData.url, { headers: { Authorization: 'Bearer ' + workerData.key } }).then((r) => r.text());
    latencies.push(performance.now() - sentAt);
  }
  parentPort.postMessage(latencies);
})();
`;

// Resolves with the status as soon as the answer's head arrives, whether or not the body was all sent.
function post(url: string, body: Buffer, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    // A connection of its own per body, as separate clients would have: no pooled socket outlives its body.
    const req = httpRequest(url, {
      agent: false,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...headers },
    });
    req.on('response', (response) => {
      resolve(String(response.statusCode));
      response.on('error', () => undefined);
      response.resume();
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    req.end(body);
  });
}

// utime + stime of the process, in ms (Linux clock ticks are 10 ms).
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
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

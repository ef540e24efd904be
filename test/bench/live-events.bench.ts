import { LiveEventRelay } from 'src/modules/live-events/live-event.relay';
import { LiveEventsService } from 'src/modules/live-events/live-events.service';
import { WebhookInboxWorker } from 'src/modules/meta-webhooks/webhook-inbox.worker';
import { seedConnectedWabas } from 'test/factories/waba.factory';
import { createTestApp, TEST_ADMIN_TOKEN, TEST_SYSTEM_USER_TOKEN, type TestApp } from 'test/utils/create-test-app';
import { openEventStream } from 'test/utils/event-stream';
import { runWhenMain } from 'test/bench/standalone';

/** Latency from a webhook's 200 (at instance B) to its frame at a client of instance A, in milliseconds. */
export interface LiveLatencyResult {
  relay: string;
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Of which the live path: from B's hub queueing the frame (after the commit) to the client, p50 / p99. */
  livePathP50Ms: number;
  livePathP99Ms: number;
}

/** A full re-sync round of one organization's WABAs, with or without a client on its event stream. */
export interface LiveRoundResult {
  wabas: number;
  streamOpen: boolean;
  roundMs: number;
  /** CPU time of this process (service, simulator, harness) during the round and until its last frame. */
  cpuMs: number;
  /** `waba` / `phone-number` frames the client received (0 without a client). */
  frames: number;
  /** When the round's last frame reached the client, after the round's answer, in milliseconds. */
  lastFrameAfterRoundMs: number | null;
  /** Relay calls (one `pg_notify` statement each) and the notifications they carried, during the round. */
  notifyStatements: number;
  notifications: number;
  /** Wall time spent in those statements, summed, in milliseconds. */
  notifyMs: number;
}

/** Replaces one method of an object (a bench runs outside jest, so no jest.spyOn). */
function jestFreeSpy<T extends object, K extends keyof T>(target: T, key: K, replacement: T[K]): void {
  Object.defineProperty(target, key, { value: replacement, configurable: true, writable: true });
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const round1 = (value: number): number => Math.round(value * 10) / 10;

/**
 * Two instances on one database; a client on A's stream; `samples` DISABLE webhooks, one at a time, each for
 * another WABA of the organization, delivered to B (which stores, processes and notifies). Measures from
 * the moment the simulator has B's 200 until the client has parsed the frame naming that WABA.
 */
export async function runLiveLatencyBench(samples = 50, env: Record<string, string> = {}): Promise<LiveLatencyResult> {
  const first = await createTestApp({ env });
  let second: TestApp | null = null;
  try {
    second = await createTestApp({ env, databaseUrl: first.databaseUrl }, first.simulator);
    first.simulator.setWebhookUrl(`${second.url}/webhooks/meta`);
    // Only B processes the inbox (shared by both), so every frame crosses from B to A.
    await first.app.get(WebhookInboxWorker).beforeApplicationShutdown();
    const organization = await first.createOrganization('Live bench');
    const seeded = await seedConnectedWabas(first.app, first.simulator, {
      organizationId: organization.id,
      businesses: samples,
      wabasPerBusiness: 1,
    });
    const client = await openEventStream(first.url, organization.key);
    await client.next((frame) => frame.event === 'ready');
    // Both instances run in this process: note when B's hub is handed each WABA's frame.
    const hub = second.app.get(LiveEventsService);
    const queuedAt = new Map<string, number>();
    const queue = hub.queue.bind(hub);
    jestFreeSpy(hub, 'queue', (organizationId, frame) => {
      if (frame.event === 'waba' && !queuedAt.has(frame.data.wabaId)) {
        queuedAt.set(frame.data.wabaId, performance.now());
      }
      queue(organizationId, frame);
    });
    const latencies: number[] = [];
    const livePath: number[] = [];
    for (const { wabaId } of seeded) {
      const from = client.frames.length;
      const delivery = await first.simulator.applyEvent(wabaId, 'DISABLE');
      const acknowledgedAt = performance.now();
      if (delivery?.status !== 200) {
        throw new Error(`The webhook for ${wabaId} answered ${delivery?.status}`);
      }
      const frame = await client.next(
        (candidate) => candidate.event === 'waba' && (candidate.data as { wabaId: string }).wabaId === wabaId,
        10_000,
        from,
      );
      latencies.push(frame.receivedAt - acknowledgedAt);
      livePath.push(frame.receivedAt - (queuedAt.get(wabaId) ?? Number.NaN));
    }
    client.close();
    const sorted = [...latencies].sort((a, b) => a - b);
    const live = [...livePath].sort((a, b) => a - b);
    return {
      relay: env.REDIS_URL ? 'Redis' : 'PostgreSQL',
      samples: sorted.length,
      p50Ms: round1(percentile(sorted, 50)),
      p99Ms: round1(percentile(sorted, 99)),
      maxMs: round1(sorted[sorted.length - 1]),
      livePathP50Ms: round1(percentile(live, 50)),
      livePathP99Ms: round1(percentile(live, 99)),
    };
  } finally {
    await second?.close({ keepDatabase: true, keepSimulator: true });
    await first.close();
  }
}

/**
 * A full round (`POST /api/v1/admin/sync-rounds`, system-user token, Meta at 0 ms) of `wabas` WABAs seeded
 * as synced long ago, so that the round finds every one changed (the worst case: one frame per WABA).
 */
export async function runLiveRoundBench(wabas: number, streamOpen: boolean): Promise<LiveRoundResult> {
  const sut = await createTestApp({ env: { META_SYSTEM_USER_TOKEN: TEST_SYSTEM_USER_TOKEN } });
  try {
    const organization = await sut.createOrganization('Live round bench');
    await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: organization.id,
      businesses: wabas,
      wabasPerBusiness: 1,
      tokens: 'per-waba',
    });
    const client = streamOpen ? await openEventStream(sut.url, organization.key) : null;
    await client?.next((frame) => frame.event === 'ready');
    const relay = sut.app.get(LiveEventRelay);
    const publish = relay.publish.bind(relay);
    const relayed = { statements: 0, notifications: 0, ms: 0 };
    jestFreeSpy(relay, 'publish', async (payloads: readonly string[]) => {
      const startedAt = performance.now();
      try {
        await publish(payloads);
      } finally {
        relayed.statements += 1;
        relayed.notifications += payloads.length;
        relayed.ms += performance.now() - startedAt;
      }
    });
    const cpuBefore = process.cpuUsage();
    const startedAt = performance.now();
    const response = await sut
      .http()
      .post('/api/v1/admin/sync-rounds')
      .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
      .timeout(30 * 60_000);
    const answeredAt = performance.now();
    if (response.status !== 200) {
      throw new Error(`The round answered ${response.status}`);
    }
    let lastFrameAfterRoundMs: number | null = null;
    if (client) {
      // The round's frames are in once a change made after it arrives (one channel, in order).
      const marker = (await sut.http().get('/api/v1/wabas?limit=1').set('Authorization', `Bearer ${organization.key}`))
        .body as { data: Array<{ wabaId: string }> };
      const [{ wabaId }] = marker.data;
      await sut.simulator.applyEvent(wabaId, 'DISABLE');
      await client.next(
        (frame) => frame.event === 'waba' && (frame.data as { kind: string; wabaId: string }).kind === 'status',
        60_000,
      );
      const roundFrames = client.frames.filter((frame) => frame.event === 'waba' || frame.event === 'phone-number');
      const last = roundFrames.at(-2) ?? roundFrames.at(-1);
      lastFrameAfterRoundMs = last ? round1(last.receivedAt - answeredAt) : null;
    }
    const cpu = process.cpuUsage(cpuBefore);
    const frames = client
      ? client.frames.filter((frame) => frame.event === 'waba' || frame.event === 'phone-number').length - 1
      : 0;
    client?.close();
    return {
      wabas,
      streamOpen,
      roundMs: Math.round(answeredAt - startedAt),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      frames,
      lastFrameAfterRoundMs,
      notifyStatements: relayed.statements,
      notifications: relayed.notifications,
      notifyMs: Math.round(relayed.ms),
    };
  } finally {
    await sut.close();
  }
}

async function main(): Promise<void> {
  const part = process.env.BENCH_PART ?? 'latency,round';
  if (part.includes('latency')) {
    const samples = Number(process.env.BENCH_SAMPLES ?? 50);
    process.stdout.write(`${JSON.stringify(await runLiveLatencyBench(samples))}\n`);
    if (process.env.TEST_REDIS_URL) {
      process.stdout.write(
        `${JSON.stringify(await runLiveLatencyBench(samples, { REDIS_URL: process.env.TEST_REDIS_URL }))}\n`,
      );
    }
  }
  if (part.includes('round')) {
    const wabas = Number(process.env.BENCH_WABAS ?? 10_000);
    for (const streamOpen of [false, true, false, true]) {
      process.stdout.write(`${JSON.stringify(await runLiveRoundBench(wabas, streamOpen))}\n`);
    }
  }
}

runWhenMain(module, main);

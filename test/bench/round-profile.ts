import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

import { Client } from 'pg';

import { seedConnectedWabas } from 'test/factories/waba.factory';
import { runWhenMain } from 'test/bench/standalone';
import { createTestApp, TEST_ADMIN_TOKEN, TEST_SYSTEM_USER_TOKEN } from 'test/utils/create-test-app';

/**
 * `npx ts-node --transpile-only -r tsconfig-paths/register test/bench/round-profile.ts` (BENCH_WABAS, default
 * 2,000; PROFILE_OUT): one full round with Meta at 0 ms on an in-process app (system-user token, three numbers
 * per WABA) after a warm-up round, printing what is stable under load: the statements the round sent, by
 * kind and per 50 WABAs (every pg query of this process while the round runs), the process's CPU per WABA
 * (service, simulator and harness alike), and the HOT share of the updates of wabas and phone_numbers. Writes
 * a CPU profile of the round (sampled every 200 µs) for DevTools or a summary script.
 */
const counts = new Map<string, number>();
let counting = false;
const query = Client.prototype.query as (...args: unknown[]) => unknown;
Client.prototype.query = function (this: Client, ...args: unknown[]) {
  if (counting) {
    const first = args[0] as string | { text?: string };
    const text = typeof first === 'string' ? first : (first?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').trim().slice(0, 70);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return query.apply(this, args);
} as typeof Client.prototype.query;

async function main(): Promise<void> {
  const wabas = Number(process.env.BENCH_WABAS ?? 2000);
  const sut = await createTestApp({ env: { META_SYSTEM_USER_TOKEN: TEST_SYSTEM_USER_TOKEN, SYNC_CONCURRENCY: '8' } });
  try {
    const organization = await sut.createOrganization('Bench');
    await seedConnectedWabas(sut.app, sut.simulator, {
      organizationId: organization.id,
      businesses: wabas,
      wabasPerBusiness: 1,
      numbersPerWaba: 3,
      tokens: 'per-waba',
    });
    const round = async (): Promise<{ ms: number; body: unknown }> => {
      const startedAt = performance.now();
      const response = await sut
        .http()
        .post('/api/v1/admin/sync-rounds')
        .set('Authorization', `Bearer ${TEST_ADMIN_TOKEN}`)
        .timeout(30 * 60_000);
      return { ms: Math.round(performance.now() - startedAt), body: response.body as unknown };
    };
    // The first round applies what the seed left stale; the measured one finds (mostly) nothing new.
    process.stdout.write(`warm-up ${JSON.stringify(await round())}\n`);
    const db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
    const hot = async (): Promise<string> =>
      JSON.stringify(
        (
          await db.query(
            `SELECT relname, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname IN ('wabas', 'phone_numbers') ORDER BY relname`,
          )
        ).rows,
      );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    process.stdout.write(`hot before ${await hot()}\n`);
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    counting = true;
    const cpuBefore = process.cpuUsage();
    const measured = await round();
    const cpu = process.cpuUsage(cpuBefore);
    counting = false;
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(process.env.PROFILE_OUT ?? '/tmp/rounds/round.cpuprofile', JSON.stringify(profile));
    process.stdout.write(
      `measured ${JSON.stringify(measured)} cpuMs=${Math.round((cpu.user + cpu.system) / 1000)} per WABA µs=${Math.round((cpu.user + cpu.system) / wabas)}\n`,
    );
    await new Promise((resolve) => setTimeout(resolve, 2500));
    process.stdout.write(`hot after ${await hot()}\n`);
    await db.end();
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    process.stdout.write(`statements=${total} per 50 WABAs=${((total * 50) / wabas).toFixed(2)}\n`);
    for (const [key, n] of [...counts].sort((a, b) => b[1] - a[1])) {
      process.stdout.write(`${String(n).padStart(6)} ${key}\n`);
    }
  } finally {
    await sut.close();
  }
}

runWhenMain(module, main);

import { Client } from 'pg';

import { WebhookInboxRetentionService } from 'src/modules/meta-webhooks/webhook-inbox-retention.service';
import { WebhookInboxPruneJob } from 'src/modules/scheduler/jobs/webhook-inbox-prune.job';
import { createTestApp, type TestApp } from 'test/utils/create-test-app';

const DAY_MS = 24 * 60 * 60_000;

describe('Webhook inbox retention (e2e)', () => {
  let sut: TestApp;
  let db: Client;

  /** Inserts `count` rows of `status` under `tag`, processed (or, unfinished, stored) `ageDays` ago. */
  const insert = async (tag: string, status: string, count: number, ageDays: number): Promise<void> => {
    await db.query(
      `INSERT INTO webhook_inbox (id, created_at, updated_at, payload_sha256, ordering_key, payload, status, attempts,
                                  next_attempt_at, processed_at)
       SELECT gen_random_uuid(), t, t, md5($1 || i) || md5(i || $1), $1, '{}'::jsonb, $2::webhook_inbox_status, 1,
              now() + interval '1 hour', CASE WHEN $2 IN ('DONE', 'FAILED', 'UNPROCESSABLE') THEN t END
         FROM generate_series(1, $3::int) AS i, LATERAL (SELECT now() - ($4::float8 * interval '1 day')) AS s(t)`,
      [tag, status, count, ageDays],
    );
  };
  const remaining = async (tag: string): Promise<number> =>
    Number(
      (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_inbox WHERE ordering_key = $1', [tag]))
        .rows[0].n,
    );

  beforeAll(async () => {
    sut = await createTestApp();
    db = new Client({ connectionString: sut.databaseUrl });
    await db.connect();
  });

  afterAll(async () => {
    await db.end();
    await sut.close();
  });

  beforeEach(async () => {
    await db.query(`DELETE FROM webhook_inbox WHERE ordering_key LIKE 'prune-%'`);
  });

  it('should delete the DONE rows past the retention and keep newer, unfinished and parked ones', async () => {
    await insert('prune-old-done', 'DONE', 2_500, 8);
    await insert('prune-new-done', 'DONE', 20, 6);
    await insert('prune-old-failed', 'FAILED', 5, 30);
    await insert('prune-old-unprocessable', 'UNPROCESSABLE', 5, 30);
    await insert('prune-old-pending', 'PENDING', 5, 30);

    const result = await sut.app.get(WebhookInboxPruneJob).run();

    expect(result).toEqual({ deleted: 2_500, batches: 3 });
    expect(await remaining('prune-old-done')).toBe(0);
    expect(await remaining('prune-new-done')).toBe(20);
    expect(await remaining('prune-old-failed')).toBe(5);
    expect(await remaining('prune-old-unprocessable')).toBe(5);
    expect(await remaining('prune-old-pending')).toBe(5);
  });

  it('should stop after its batch budget and leave the rest for the next run', async () => {
    await insert('prune-budget', 'DONE', 250, 2);
    const retention = sut.app.get(WebhookInboxRetentionService);

    expect(await retention.pruneProcessed(DAY_MS, 100, 2)).toEqual({ deleted: 200, batches: 2 });
    expect(await remaining('prune-budget')).toBe(50);
    expect(await retention.pruneProcessed(DAY_MS, 100, 2)).toEqual({ deleted: 50, batches: 1 });
    expect(await remaining('prune-budget')).toBe(0);
  });
});

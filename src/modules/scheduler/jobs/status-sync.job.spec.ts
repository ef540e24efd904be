import { MikroORM } from '@mikro-orm/core';
import type { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';

import type { AllConfig } from 'config/config.type';
import type { SyncRoundService } from 'src/modules/sync/sync-round.service';
import type { SyncRoundResult } from 'src/modules/sync/sync-round.types';

import { STATUS_SYNC_JOB_NAME } from 'src/modules/scheduler/scheduler.constants';

import { StatusSyncJob } from './status-sync.job';

const RESULT: SyncRoundResult = {
  wabas: 2,
  succeeded: 2,
  failed: 0,
  skipped: 0,
  metaCalls: 2,
  webhooks: { checked: 0, missing: 0, overridden: 0, resubscribed: 0, failed: 0, skipped: 0 },
  durationMs: 5,
};

function config(enabled: boolean): ConfigService<AllConfig, true> {
  const values: Record<string, unknown> = { 'scheduler.enabled': enabled, 'scheduler.syncIntervalMinutes': 15 };
  return { get: (key: string) => values[key] } as unknown as ConfigService<AllConfig, true>;
}

// @CreateRequestContext() only needs an `orm` whose entity manager can fork; no database is involved.
const orm = Object.assign(Object.create(MikroORM.prototype) as MikroORM, {
  em: { name: 'default', fork: () => ({ name: 'default' }) },
});

describe('StatusSyncJob', () => {
  let registry: SchedulerRegistry;

  beforeEach(() => {
    registry = new SchedulerRegistry();
  });

  afterEach(() => {
    for (const name of registry.getIntervals()) {
      registry.deleteInterval(name);
    }
  });

  it('should register its interval only when the scheduler is enabled', () => {
    const rounds = { runRound: jest.fn() } as unknown as SyncRoundService;
    new StatusSyncJob(orm, rounds, registry, config(false)).onApplicationBootstrap();
    expect(registry.getIntervals()).toEqual([]);

    new StatusSyncJob(orm, rounds, registry, config(true)).onApplicationBootstrap();
    expect(registry.getIntervals()).toEqual([STATUS_SYNC_JOB_NAME]);
  });

  it('should skip a tick while the previous round is still running', async () => {
    let finish!: (result: SyncRoundResult) => void;
    const runRound = jest.fn(() => new Promise<SyncRoundResult>((resolve) => (finish = resolve)));
    const job = new StatusSyncJob(orm, { runRound } as unknown as SyncRoundService, registry, config(true));

    const first = job.run(new Date('2026-01-01T00:00:00Z'));
    await expect(job.run()).resolves.toBeNull();
    // The round starts once the request context is set up: wait (bounded) until it is running.
    for (let attempt = 0; attempt < 50 && runRound.mock.calls.length === 0; attempt++) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    finish(RESULT);

    await expect(first).resolves.toEqual(RESULT);
    expect(runRound).toHaveBeenCalledTimes(1);
    expect(runRound).toHaveBeenCalledWith(new Date('2026-01-01T00:00:00Z'));
  });

  it('should log a failed round and resolve, so the next tick can try again', async () => {
    const runRound = jest.fn().mockRejectedValueOnce(new Error('database down')).mockResolvedValueOnce(RESULT);
    const job = new StatusSyncJob(orm, { runRound } as unknown as SyncRoundService, registry, config(true));

    await expect(job.run()).resolves.toBeNull();
    await expect(job.run()).resolves.toEqual(RESULT);
  });
});

import type { ClaimedWaba, SyncClaim } from 'src/modules/wabas/waba-sync.types';

import { planTasks, RoundRun, type RoundTask } from './sync-round.run';

const claim: SyncClaim = { owner: 'instance', token: 'token' };

function wabas(count: number, fingerprint = (index: number) => `fp-${index}`): ClaimedWaba[] {
  return Array.from({ length: count }, (_, index) => ({
    rowId: `row-${index}`,
    wabaId: String(100 + index),
    ownerBusinessId: null,
    fingerprint: fingerprint(index),
    sealedToken: `sealed-${index}`,
    claim,
  }));
}

const sizes = (tasks: RoundTask[]): number[] => tasks.map((task) => (task.kind === 'group' ? task.wabas.length : 1));

describe('planTasks', () => {
  it('should cut a claim of several batches into groups of at most one multi-ID call with the system-user token', () => {
    const tasks = planTasks(wabas(120), 'system', () => 'never', 50);

    expect(sizes(tasks)).toEqual([50, 50, 20]);
    expect(tasks.every((task) => task.kind === 'group' && task.token === 'system' && !task.ownToken)).toBe(true);
    expect(tasks.flatMap((task) => (task.kind === 'group' ? task.wabas : [task.waba]))).toEqual(wabas(120));
  });

  it('should read a WABA left alone in its slice with its own token', () => {
    const tasks = planTasks(wabas(51), 'system', () => 'never', 50);

    expect(tasks.map((task) => task.kind)).toEqual(['group', 'single']);
  });

  it('should group WABAs sharing a business token, in slices of one call each', () => {
    const claimed = wabas(75, (index) => (index < 70 ? 'shared' : `own-${index}`));
    const tasks = planTasks(claimed, '', (waba) => `token-of-${waba.fingerprint}`, 50);

    expect(sizes(tasks)).toEqual([50, 20, 1, 1, 1, 1, 1]);
    expect(tasks.slice(0, 2).every((task) => task.kind === 'group' && task.token === 'token-of-shared')).toBe(true);
    expect(tasks.slice(2).every((task) => task.kind === 'single')).toBe(true);
  });
});

describe('RoundRun', () => {
  const plan = (claimed: ClaimedWaba[]): Promise<RoundTask[]> =>
    Promise.resolve(planTasks(claimed, 'system', () => null, 50));

  it('should claim one batch for each worker waiting for work, and nothing ahead of them', async () => {
    const asked: number[] = [];
    let left = 1000;
    const run = new RoundRun(
      'system',
      (batches) => {
        asked.push(batches);
        const taken = Math.min(left, batches * 50);
        left -= taken;
        return Promise.resolve(wabas(taken));
      },
      plan,
    );

    // Four workers start together: one claim for four batches, one task each.
    const first = await Promise.all([run.take(), run.take(), run.take(), run.take()]);
    expect(asked).toEqual([4]);
    expect(sizes(first as RoundTask[])).toEqual([50, 50, 50, 50]);

    // Two of them finish and come back together: one claim for two batches.
    run.done();
    run.done();
    const second = await Promise.all([run.take(), run.take()]);
    expect(asked).toEqual([4, 2]);
    expect(sizes(second as RoundTask[])).toEqual([50, 50]);
  });

  it('should end once nothing is left to claim and no task runs', async () => {
    let calls = 0;
    const run = new RoundRun('system', () => Promise.resolve(calls++ === 0 ? wabas(2) : []), plan);

    const task = await run.take();
    expect(task?.kind).toBe('group');
    const next = run.take();
    run.done();

    await expect(next).resolves.toBeNull();
    await expect(run.take()).resolves.toBeNull();
  });
});

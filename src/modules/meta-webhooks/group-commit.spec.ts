import { GroupCommit, type GroupCommitOptions, type ItemOutcome } from './group-commit';

/** A write that records its batches and answers each item with its double, or fails the items it is told to. */
function recordingWrite(fails: (item: number) => boolean = () => false) {
  const batches: number[][] = [];
  const write = (items: number[]): Promise<Array<ItemOutcome<number>>> => {
    batches.push(items);
    return Promise.resolve(
      items.map((item) =>
        fails(item) ? { ok: false, error: new Error(`item ${item}`) } : { ok: true, value: item * 2 },
      ),
    );
  };
  return { batches, write };
}

const options: GroupCommitOptions = { maxItems: 3, maxWeight: 100, windowMs: 2, maxInFlight: 1 };

describe(GroupCommit.name, () => {
  it('should write items submitted together in one batch and settle each with its own value', async () => {
    const { batches, write } = recordingWrite();
    const commit = new GroupCommit(options, write);

    await expect(Promise.all([commit.submit(1), commit.submit(2)])).resolves.toEqual([2, 4]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('should write as soon as maxItems wait, in submission order', async () => {
    const { batches, write } = recordingWrite();
    const commit = new GroupCommit({ ...options, maxInFlight: 4 }, write);

    await expect(Promise.all([1, 2, 3, 4, 5].map((item) => commit.submit(item)))).resolves.toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('should write an item heavier than maxWeight alone and keep the others within the weight', async () => {
    const { batches, write } = recordingWrite();
    const commit = new GroupCommit({ ...options, maxItems: 10, maxInFlight: 4 }, write, (item) => item);

    await Promise.all([40, 50, 300, 30].map((item) => commit.submit(item)));
    expect(batches).toEqual([[40, 50], [300], [30]]);
  });

  it('should fail only the items whose outcome is a failure', async () => {
    const { write } = recordingWrite((item) => item === 2);
    const commit = new GroupCommit(options, write);

    const settled = await Promise.allSettled([1, 2, 3].map((item) => commit.submit(item)));
    expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('should fail every item of a batch whose write throws, and keep writing later batches', async () => {
    let calls = 0;
    const commit = new GroupCommit<number, number>(options, (items) => {
      calls += 1;
      return calls === 1
        ? Promise.reject(new Error('connection lost'))
        : Promise.resolve(items.map((item) => ({ ok: true as const, value: item })));
    });

    await expect(Promise.all([commit.submit(1), commit.submit(2)])).rejects.toThrow('connection lost');
    await expect(commit.submit(3)).resolves.toBe(3);
  });

  it('should gather items while every write slot is busy and write them when one frees', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const commit = new GroupCommit<number, number>({ ...options, maxItems: 10 }, (items) => {
      batches.push(items);
      const outcomes = items.map((item) => ({ ok: true as const, value: item }));
      return batches.length === 1
        ? new Promise((resolve) => {
            release = () => resolve(outcomes);
          })
        : Promise.resolve(outcomes);
    });

    const first = commit.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const later = [2, 3, 4].map((item) => commit.submit(item));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(batches).toEqual([[1]]);

    release();
    await expect(Promise.all([first, ...later])).resolves.toEqual([1, 2, 3, 4]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('should write what waits and wait for the writes in flight on drain', async () => {
    const { batches, write } = recordingWrite();
    const commit = new GroupCommit({ ...options, windowMs: 60_000 }, write);

    const pending = commit.submit(7);
    await commit.drain();
    expect(batches).toEqual([[7]]);
    await expect(pending).resolves.toBe(14);
  });
});

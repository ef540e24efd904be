import { ConcurrencyLimiter } from './sync-round.limiter';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('ConcurrencyLimiter', () => {
  it('should never run more tasks at once than its limit, and run them all', async () => {
    const limiter = new ConcurrencyLimiter(3);
    let running = 0;
    let highest = 0;
    const gates = Array.from({ length: 10 }, () => deferred());
    const started: number[] = [];
    const tasks = gates.map((gate, index) =>
      limiter.run(async () => {
        started.push(index);
        running += 1;
        highest = Math.max(highest, running);
        await gate.promise;
        running -= 1;
        return index;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    for (const gate of gates) {
      gate.resolve();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await expect(Promise.all(tasks)).resolves.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(highest).toBe(3);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(limiter.inFlight).toBe(0);
  });

  it('should free the slot of a task that throws', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limiter.run(() => Promise.resolve('next'))).resolves.toBe('next');
    expect(limiter.inFlight).toBe(0);
  });

  it.each([0, -1, 1.5, Number.NaN])('should refuse a limit of %p', (limit) => {
    expect(() => new ConcurrencyLimiter(limit)).toThrow(RangeError);
  });
});

import { RateLimiter, rateLimitLeaseUnits } from './rate-limiter';
import { gcraCostUs, gcraDecision, gcraParameters, type RateLimitDecision, RateLimitStore } from './rate-limit.store';

/** The stores' GCRA step in memory, on a clock the test moves; counts its calls like round trips. */
class InMemoryStore extends RateLimitStore {
  nowUs = 1_000_000_000_000;
  calls = 0;
  private readonly tats = new Map<string, number>();

  async consume(bucket: string, limitPerMinute: number, units = 1): Promise<RateLimitDecision> {
    this.calls += 1;
    await Promise.resolve();
    const parameters = gcraParameters(limitPerMinute);
    const stored = this.tats.get(bucket) ?? null;
    const admitted = Math.max(stored ?? this.nowUs, this.nowUs) + gcraCostUs(parameters, units);
    if (admitted - this.nowUs > parameters.capacityUs) {
      return gcraDecision(parameters, this.nowUs, null, stored);
    }
    this.tats.set(bucket, admitted);
    return gcraDecision(parameters, this.nowUs, admitted, stored);
  }

  sweep(): Promise<number> {
    return Promise.resolve(0);
  }
}

describe(RateLimiter.name, () => {
  const LIMIT = 600;
  const LEASE = rateLimitLeaseUnits(LIMIT);

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('should take units from the store a lease at a time for a large budget, and one by one for a small one', () => {
    expect(LEASE).toBe(6);
    expect(rateLimitLeaseUnits(20)).toBe(1);
  });

  it('should admit a lease of requests per store call, and refuse exactly at the budget', async () => {
    const store = new InMemoryStore();
    const sut = new RateLimiter(store);

    const decisions = [];
    for (let index = 0; index < LIMIT + 5; index++) {
      decisions.push(await sut.consume('organization:a', LIMIT));
    }

    expect(decisions.filter((decision) => decision.allowed)).toHaveLength(LIMIT);
    expect(decisions.slice(LIMIT).every((decision) => !decision.allowed && decision.retryAfterMs > 0)).toBe(true);
    // One call per lease, then the refused ones go no further than the local block list.
    expect(store.calls).toBeLessThanOrEqual(LIMIT / LEASE + 2);
  });

  it('should take one lease for concurrent requests of a bucket, not one each', async () => {
    const store = new InMemoryStore();
    const sut = new RateLimiter(store);

    const decisions = await Promise.all(Array.from({ length: 30 }, () => sut.consume('organization:a', LIMIT)));

    expect(decisions.every((decision) => decision.allowed)).toBe(true);
    expect(store.calls).toBe(30 / LEASE);
  });

  it('should hold the budget across four instances sharing one store, short of it by at most their held units', async () => {
    const store = new InMemoryStore();
    const instances = Array.from({ length: 4 }, () => new RateLimiter(store));

    let admitted = 0;
    for (let index = 0; index < 2 * LIMIT; index++) {
      const decision = await instances[index % instances.length].consume('organization:a', LIMIT);
      admitted += decision.allowed ? 1 : 0;
    }

    expect(admitted).toBeLessThanOrEqual(LIMIT);
    expect(admitted).toBeGreaterThanOrEqual(LIMIT - instances.length * (LEASE - 1));
  });

  it('should go on unit by unit once a whole lease no longer fits, admitting what refills', async () => {
    const store = new InMemoryStore();
    const sut = new RateLimiter(store);
    for (let index = 0; index < LIMIT; index++) {
      await sut.consume('organization:a', LIMIT);
    }
    const refused = await sut.consume('organization:a', LIMIT);
    expect(refused.allowed).toBe(false);

    // One emission interval (100 ms) later exactly one more unit fits: no lease, that unit.
    store.nowUs += 100_000;
    jest.advanceTimersByTime(refused.retryAfterMs);
    const callsBefore = store.calls;
    const next = [await sut.consume('organization:a', LIMIT), await sut.consume('organization:a', LIMIT)];

    expect(next.map((decision) => decision.allowed)).toEqual([true, false]);
    expect(store.calls - callsBefore).toBeLessThanOrEqual(2);
  });

  it('should take every unit of a small budget from the store', async () => {
    const store = new InMemoryStore();
    const sut = new RateLimiter(store);

    const decisions = [];
    for (let index = 0; index < 12; index++) {
      decisions.push(await sut.consume('auth-failure:x', 10));
    }

    expect(decisions.map((decision) => decision.allowed)).toEqual([...Array<boolean>(10).fill(true), false, false]);
    expect(store.calls).toBe(10);
  });
});
